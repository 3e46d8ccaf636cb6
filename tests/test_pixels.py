"""Image checks and value-range conversion, the one home of both (genai_kit.pixels)."""
import numpy as np
import pytest

from genai_kit import pixels


def test_to_unit_range_maps_the_ends_of_the_range_to_0_and_1_and_clips():
    images = np.array([-1.0, 0.0, 1.0, 1.5], np.float32)
    # exact: these values and every intermediate are exact in float32
    np.testing.assert_array_equal(pixels.to_unit_range(images, (-1, 1)), [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(pixels.to_unit_range(images * 127.5 + 127.5, (0, 255)),
                                  [0.0, 0.5, 1.0, 1.0])
    assert pixels.to_unit_range(images, (-1, 1)).dtype == np.float32


def test_a_range_with_low_not_below_high_is_refused():
    with pytest.raises(ValueError, match="low < high"):
        pixels.to_unit_range(np.zeros(3), (1, 1))


def test_check_images_returns_float32_and_leaves_values_alone():
    images = np.full((2, 4, 4, 1), 0.25, np.float64)
    checked = pixels.check_images(images, (4, 4, 1), pixels.UNIT_RANGE)
    assert checked.dtype == np.float32
    np.testing.assert_array_equal(checked, images)


def test_check_images_names_the_fix_for_common_mistakes():
    digits = np.zeros((3, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match="divide by 255"):
        pixels.check_images(digits + 200, value_range=(0, 1))
    with pytest.raises(ValueError, match=r"value_range=\(-1, 1\)"):
        pixels.check_images(digits - 0.5, value_range=(0, 1))
    with pytest.raises(ValueError, match="reshape"):
        pixels.check_images(digits.reshape(3, 784), (28, 28, 1))
    with pytest.raises(ValueError, match="batch axis"):
        pixels.check_images(digits[0], (28, 28, 1))
    with pytest.raises(ValueError, match="channel axis"):
        pixels.check_images(digits[..., 0])
    with pytest.raises(ValueError, match="built for"):
        pixels.check_images(np.zeros((3, 32, 32, 3)), (28, 28, 1))
    with pytest.raises(ValueError, match="NaN"):
        pixels.check_images(np.full((1, 2, 2, 1), np.nan))


def test_values_within_the_tolerance_of_the_range_pass():
    slightly_over = np.full((1, 2, 2, 1), 1.0 + 0.5 * pixels.RANGE_TOLERANCE, np.float32)
    pixels.check_images(slightly_over, value_range=(0, 1))
