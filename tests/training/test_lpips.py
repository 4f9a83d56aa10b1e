"""LPIPS: structure, zero for identical images, monotone in distortion, usable as a loss, weight
conversion and the torch-free .pth reader (fixtures written by torch 2.13 with torch.save)."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from training.losses import lpips as lp  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "astronaut.png")


@pytest.fixture(scope="module")
def model():
    return lp.LPIPS(random=True, seed=0)


@pytest.fixture(scope="module")
def photo():
    """A 64x64 RGB crop of a real photo, float32 (1, 64, 64, 3) in [-1, 1]."""
    img = tf.io.decode_png(tf.io.read_file(SAMPLE), channels=3).numpy()
    small = tf.image.resize(img[None].astype(np.float32), (128, 128), antialias=True)[:, 32:96, 32:96]
    return (small.numpy() / 127.5 - 1.0).astype(np.float32)


def test_taps_five_relu_layers_with_the_published_channel_counts(model):
    outs = model.trunk(tf.zeros((1, 32, 32, 3)))
    assert len(outs) == 5
    assert [int(o.shape[-1]) for o in outs] == [64, 128, 256, 512, 512]
    assert [int(o.shape[1]) for o in outs] == [32, 16, 8, 4, 2]
    assert [tuple(w.shape) for w in model.lins] == [(1, 1, 1, c) for c in (64, 128, 256, 512, 512)]
    assert not model.trunk.trainable_weights  # frozen


def test_identical_images_score_exactly_zero(model, photo):
    assert float(model(photo, photo)[0]) == 0.0
    other = np.clip(photo + 0.1, -1, 1)
    d = model(np.concatenate([photo, photo]), np.concatenate([photo, other])).numpy()
    assert d[0] == 0.0 and d[1] > 0


class _JitteryTrunk:
    """A stand-in for VGG whose features carry rounding noise that differs from call to call and
    by batch position, as kernels of another CPU may: LPIPS must not rely on equal rounding."""

    def __init__(self, trunk):
        self.trunk, self.calls = trunk, 0

    def __call__(self, x, training=False):
        self.calls += 1
        noise = 1e-6 * self.calls * (1.0 + tf.range(tf.shape(x)[0], dtype=tf.float32))[:, None, None, None]
        return [f + noise for f in self.trunk(x, training=training)]


def test_identical_images_score_exactly_zero_whatever_the_kernels_round(photo):
    jittery = lp.LPIPS(random=True, seed=0)
    jittery.trunk = _JitteryTrunk(jittery.trunk)
    other = np.clip(photo + 0.1, -1, 1)
    d = jittery(np.concatenate([photo, photo, other]), np.concatenate([photo, other, other]), per_layer=True).numpy()
    assert np.all(d[0] == 0.0) and np.all(d[2] == 0.0)  # identical pairs, whatever the features' rounding
    assert np.all(d[1] > 0)
    assert lp.lpips_uint8(jittery, np.full((32, 32, 3), 7, np.uint8), np.full((32, 32, 3), 7, np.uint8)) == 0.0


def test_distance_grows_with_noise_and_with_blur_strength(model, photo):
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, photo.shape).astype(np.float32)
    by_noise = [float(model(photo, np.clip(photo + s * noise, -1, 1))[0]) for s in (0.03, 0.1, 0.3)]
    assert by_noise[0] < by_noise[1] < by_noise[2]
    blurred = []
    for sigma in (0.7, 1.5, 3.0):
        r = np.arange(-8, 9)
        k = np.exp(-0.5 * (r / sigma) ** 2)
        k = (k[:, None] * k[None, :] / k.sum() ** 2).astype(np.float32)
        kernel = np.zeros((17, 17, 3, 3), np.float32)
        for c in range(3):
            kernel[:, :, c, c] = k
        padded = np.pad(photo, [(0, 0), (8, 8), (8, 8), (0, 0)], mode="reflect")
        out = tf.nn.conv2d(padded, kernel, 1, "VALID").numpy()
        blurred.append(float(model(photo, out)[0]))
    assert blurred[0] < blurred[1] < blurred[2]


def test_works_as_a_loss_with_finite_gradients_even_on_flat_images(model, photo):
    x = tf.Variable(np.clip(photo + 0.2, -1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(photo, x)) + tf.reduce_mean(model(tf.zeros_like(photo), x * 0))
    g = tape.gradient(loss, x).numpy()
    assert np.all(np.isfinite(g)) and np.abs(g).sum() > 0
    # A step against the gradient lowers the distance.
    lower = float(model(photo, x - 0.5 * g / np.abs(g).max() * 0.05)[0])
    assert lower < float(model(photo, x)[0])


def test_per_layer_terms_sum_to_the_distance(model, photo):
    other = photo[:, ::-1]
    per = model(photo, other, per_layer=True).numpy()
    assert per.shape == (1, 5) and np.all(per > 0)
    np.testing.assert_allclose(per.sum(1), model(photo, other).numpy(), rtol=1e-5)


def test_missing_weights_raise_an_error_that_says_how_to_get_them(tmp_path):
    with pytest.raises(ValueError, match="vgg16-397923af.pth.*convert"):
        lp.LPIPS(weights_dir=str(tmp_path))
    with pytest.raises(ValueError, match="none was given"):
        lp.load_weights(None)


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_torch_files_are_read_exactly_without_torch(fmt):
    expected = np.load(os.path.join(DATA, "torch_state_expected.npz"))
    got = lp.load_torch_state_dict(os.path.join(DATA, f"torch_state_{fmt}.pth"))
    assert sorted(got) == sorted(expected.files)
    for key in expected.files:
        assert got[key].shape == expected[key].shape, key
        np.testing.assert_array_equal(got[key].astype(expected[key].dtype), expected[key], err_msg=key)


def test_the_reader_refuses_code_in_a_weights_file(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": Evil()}))
    path = tmp_path / "evil.pth"
    path.write_bytes(buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        lp.load_torch_state_dict(str(path))


def test_convert_maps_torch_layouts_to_keras_and_back_to_the_same_scores(model, photo, tmp_path, monkeypatch):
    # Express the random model's weights as the two published state dicts, convert, reload.
    torch_backbone, lin = {}, {}
    for name, idx in zip(lp.VGG16_CONVS, lp.TORCH_CONV_INDICES):
        kernel, bias = model.trunk.get_layer(name).get_weights()
        torch_backbone[f"features.{idx}.weight"] = np.transpose(kernel, (3, 2, 0, 1))  # HWIO -> OIHW
        torch_backbone[f"features.{idx}.bias"] = bias
    for i, w in enumerate(model.lins):
        lin[f"lin{i}.model.1.weight"] = w.numpy().reshape(1, -1, 1, 1)
    files = {"vgg16.pth": torch_backbone, "vgg.pth": lin}
    monkeypatch.setattr(lp, "load_torch_state_dict", lambda path: files[os.path.basename(path)])
    from training.commands import lpips as lpips_command
    assert lpips_command.main(["convert", "--vgg16", _touch(tmp_path / "vgg16.pth"), "--lin", _touch(tmp_path / "vgg.pth"),
                    "--out", str(tmp_path / "w")]) == 0
    again = lp.LPIPS(weights_dir=str(tmp_path / "w"))
    other = np.clip(photo * 0.8, -1, 1)
    np.testing.assert_allclose(again(photo, other).numpy(), model(photo, other).numpy(), rtol=1e-6)


def _touch(path):
    path.write_bytes(b"")
    return str(path)


def test_unit_normalisation_keeps_gradients_finite_where_all_channels_are_zero():
    f = tf.Variable(np.zeros((1, 2, 2, 4), np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(lp._unit_normalise(f) * 3.0)
    assert np.all(np.isfinite(tape.gradient(y, f).numpy()))
    unit = lp._unit_normalise(tf.constant([[[[3.0, 4.0]]]])).numpy()
    np.testing.assert_allclose(unit, [[[[0.6, 0.8]]]], rtol=1e-6)


def test_uint8_scoring_takes_grey_and_rgb_and_checks_inputs(model):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert lp.lpips_uint8(model, a, a) == 0.0
    grey = a[..., 0]
    assert lp.lpips_uint8(model, grey, grey[::-1]) == pytest.approx(
        lp.lpips_uint8(model, np.repeat(grey[..., None], 3, 2), np.repeat(grey[::-1, :, None], 3, 2)))
    with pytest.raises(ValueError, match="uint8"):
        lp.lpips_uint8(model, a.astype(np.float32), a.astype(np.float32))
    with pytest.raises(ValueError, match="differ in shape"):
        lp.lpips_uint8(model, a, a[:20])
