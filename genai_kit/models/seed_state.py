"""Saving a model's random-seed position with its weights, so that a loaded model continues.

Keras saves a layer's variables but not the state of its ``keras.random.SeedGenerator``:
a model loaded from a ``.keras`` file (or restored by ``BackupAndRestore``) would draw its
training noise from the start of the sequence again, and continued training would differ
from training without the save. :class:`SavesSeedState` adds the generator's state to the
layer's own variables under one key, through the public ``save_own_variables`` /
``load_own_variables`` (the parent saves and loads its variables, we add our key).
"""

SEED_STATE_KEY = "seed_generator_state"


class SavesSeedState:
    """Mixin for a keras Layer or Model whose ``seed_generator`` position is saved.

    Put it first among the bases: ``class DCGAN(SavesSeedState, keras.Model)``. Files
    written without the key (older versions of the kit) still load, from the seed's start.
    """

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store):
        if SEED_STATE_KEY in store.keys():
            self.seed_generator.state.assign(store[SEED_STATE_KEY])
        super().load_own_variables(StoreWithout(store, SEED_STATE_KEY))


class StoreWithout:
    """A read-only view of a Keras weights store without one key.

    ``keras.Layer.load_own_variables`` checks that the store holds exactly the layer's own
    variables; the view hides the seed state that :class:`SavesSeedState` adds.
    """

    def __init__(self, store, hidden_key):
        self.store = store
        self.hidden_key = hidden_key

    def keys(self):
        return [key for key in self.store.keys() if key != self.hidden_key]

    def __getitem__(self, key):
        if key == self.hidden_key:
            raise KeyError(key)
        return self.store[key]

    def __contains__(self, key):
        return key != self.hidden_key and key in self.store.keys()

    def __len__(self):
        return len(self.keys())
