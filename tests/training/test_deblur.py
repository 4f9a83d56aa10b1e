"""deblur: any size in, same size and dtype out; tiles blend to the untiled result; the CLI."""
import numpy as np
import pytest

from blurgen.images import read_image, write_image
from shardkit import sample_pairs, tiny_config
from training.commands import deblur
from training.inference.restorer import Restorer, _ramp, _spans
from training.networks import build_generator


@pytest.fixture(scope="module")
def local_model(tmp_path_factory):
    """A tiny generator without instance norm: its output at a pixel depends only on nearby pixels
    (receptive field about 70 px wide), so tiling can reproduce it exactly. He-normal weights: at
    DeblurGAN's N(0, 0.02) an untrained tiny generator changes no pixel by a whole level, and
    tiles that differ could not be told apart."""
    import keras
    keras.utils.set_random_seed(3)
    path = tmp_path_factory.mktemp("model") / "generator.keras"
    # He-normal weights: with DeblurGAN's N(0, 0.02) and no norm, the tiny untrained network's
    # residual is about 1e-6, the identity, and no tiling test could fail.
    build_generator(tiny_config(gen_norm="none", gen_zero_init_output=False, init="he")).save(path)
    return str(path)


def test_the_local_model_is_far_from_the_identity(local_model):
    (_, blurred, _), = sample_pairs(96, names=("coffee.png",))
    assert np.abs(Restorer(local_model)(blurred).astype(int) - blurred).mean() > 5


@pytest.mark.parametrize("shape", [(37, 53, 3), (40, 40), (101, 17, 3)])
def test_any_size_and_grey_keep_size_and_dtype(local_model, shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = Restorer(local_model)(img)
    assert out.shape == shape[:2] + (3,) and out.dtype == np.uint8
    assert Restorer("identity")(img).shape == shape[:2] + (3,)


def test_tiles_cover_the_image_on_the_generator_grid():
    spans = _spans(1000, 256, 64)
    assert spans[0] == (0, 256) and spans[-1][0] + spans[-1][1] == 1000
    assert all(s % 4 == 0 for s, _ in spans)
    assert all(b[0] < a[0] + a[1] - 64 + 1 for a, b in zip(spans, spans[1:]))  # overlaps of >= 64 px


def test_tiled_equals_untiled(local_model):
    (_, blurred, _), = sample_pairs(300, names=("coffee.png",))  # 300x450
    whole = Restorer(local_model, tile=2048)
    tiled = Restorer(local_model, tile=160, overlap=144)  # 36 px zero-weight margin > the reach of 35 px
    a, b = whole(blurred), tiled(blurred)
    assert whole.tile > max(blurred.shape) and len(_spans(blurred.shape[1], 160, 144)) > 3
    diff = np.abs(a.astype(int) - b.astype(int))
    # Equal up to float rounding that can move a value across a .5 boundary: no seams anywhere.
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3, (diff.max(), (diff > 0).mean())


def test_tiles_too_small_for_the_receptive_field_differ_which_shows_the_check_can_fail(local_model):
    (_, blurred, _), = sample_pairs(300, names=("coffee.png",))
    a = Restorer(local_model, tile=2048)(blurred)
    b = Restorer(local_model, tile=64, overlap=16)(blurred)
    assert np.abs(a.astype(int) - b.astype(int)).max() > 1


def test_blend_weights_hand_over_smoothly_between_tiles():
    """Each tile's share of a pixel (its weight over the sum) changes by at most 1/(overlap/2)
    from one pixel to the next: no pixel switches abruptly from one tile to another."""
    length, tile, overlap = 1000, 256, 64
    spans = _spans(length, tile, overlap)
    weights = np.zeros((len(spans), length))
    for t, (start, size) in enumerate(spans):
        weights[t, start:start + size] = _ramp(size, overlap, start > 0, start + size < length)
    total = weights.sum(axis=0)
    assert total.min() > 0
    share = weights / total
    assert np.abs(np.diff(share, axis=1)).max() <= 1.0 / (overlap / 2) + 1e-9
    # A hard cut (no overlap) is what this rules out.
    hard = np.zeros((2, length))
    hard[0, :500], hard[1, 500:] = 1, 1
    assert np.abs(np.diff(hard / hard.sum(axis=0), axis=1)).max() == 1


def test_instance_norm_generator_tiles_approach_the_whole_image_as_they_grow():
    """Instance norm's statistics are per tile, so tiles of an instance-norm generator (DeblurGAN's)
    differ from the untiled result, less as tiles grow; hence the large default tile (1536 px)."""
    import keras
    keras.utils.set_random_seed(4)
    # Instance norm named here: the smoke preset under tiny_config may change its norm.
    gen = build_generator(tiny_config(gen_zero_init_output=False, gen_norm="instance"))
    tail = gen.get_layer("tail_conv")
    # Like a trained deblurrer: the input plus a moderate residual.
    tail.set_weights([w * 0.1 for w in tail.get_weights()])
    (_, blurred, _), = sample_pairs(256, names=("chelsea.png",))  # 256x385
    whole = Restorer(gen, tile=1024)(blurred).astype(float)
    errors = [np.abs(Restorer(gen, tile=t, overlap=t // 2)(blurred).astype(float) - whole).mean() for t in (128, 192, 256)]
    assert errors[0] > errors[1] > errors[2] > 0, errors


def test_cli_writes_same_size_pngs(local_model, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    img = np.random.default_rng(1).integers(0, 256, (45, 70, 3), dtype=np.uint8)
    write_image(src / "a.jpg", img)
    written = deblur.run(["--model", local_model, str(src / "a.jpg"), "--out", str(tmp_path / "out"), "--tile", "32", "--overlap", "8"])["written"]
    out = read_image(written[0])
    assert written[0].endswith("a.png") and out.shape == img.shape and out.dtype == np.uint8
    assert "a.jpg ->" in capsys.readouterr().out
    # A missing input is reported and makes the exit status 1 (see test_deblur_cli.py).
    assert deblur.main(["--model", local_model, str(src / "missing.png"), "--out", str(tmp_path / "o2")]) == 1


def test_li2024_and_dense_generators_load_with_restorer_in_a_new_process(tmp_path):
    # A fresh process has imported neither preset module: the custom layers (ReflectPad2D, ...)
    # must be registered by importing training.inference.restorer alone.
    import subprocess
    import sys
    import textwrap

    from training.networks import dense as nets_dense
    from training.networks import li2024 as nets_li2024
    paths = []
    for name, net in (("li", nets_li2024.build_li2024_generator(width=4, blocks=1)),
                      ("dense", nets_dense.build_dense_generator(width=4, blocks=1, units=1, growth=4))):
        paths.append(str(tmp_path / f"{name}.keras"))
        net.save(paths[-1])
    code = textwrap.dedent(f"""
        import numpy as np
        from training.inference.restorer import Restorer
        for path in {paths!r}:
            out = Restorer(path)(np.zeros((10, 13, 3), np.uint8))
            assert out.shape == (10, 13, 3) and out.dtype == np.uint8
        print("loaded", len({paths!r}))
    """)
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loaded 2" in done.stdout


@pytest.mark.parametrize("names", [("a.jpg", "a.png"), ("d1/x.png", "d2/x.png")])
def test_two_inputs_with_one_output_name_fail_up_front_naming_both(names, tmp_path, capsys):
    img = np.zeros((12, 12, 3), np.uint8)
    paths = []
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_image(tmp_path / name, img)
        paths.append(str(tmp_path / name))
    out = tmp_path / "out"
    assert deblur.main(["--model", "identity", *paths, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert paths[0] in err and paths[1] in err and "are the same file" in err
    assert not out.exists()  # nothing written, nothing overwritten
