"""The kit's Keras models; each lives in a module named for it."""
