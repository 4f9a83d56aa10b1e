"""DeblurGAN's generator in PyTorch, given a Keras generator's weights: the baseline that
``bench_inference.py`` times blurgen's inference against. PyTorch is not a project dependency:
the benchmark imports it where it can (``PYTHONPATH=<a torch venv's site-packages>``)."""
from __future__ import annotations

import numpy as np


def torch_generator(torch, filters: int = 64, blocks: int = 9, dropout: float = 0.5):
    """DeblurGAN's generator as the paper describes it, in PyTorch: reflect-pad 3, conv 7x7, two
    stride-2 convs 3x3, ``blocks`` residual blocks (reflect-pad, conv 3x3, instance norm, ReLU,
    dropout, reflect-pad, conv 3x3, instance norm, plus the input), two transposed convs 3x3 of
    stride 2, reflect-pad 3, conv 7x7, tanh; the output is the input plus that, clamped to
    [-1, 1]. Instance norm without affine parameters, every conv with a bias. NCHW, [-1, 1]."""
    nn = torch.nn

    def norm_relu(ch):
        return [nn.InstanceNorm2d(ch), nn.ReLU(inplace=True)]

    class Block(nn.Module):
        def __init__(self, ch):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), *norm_relu(ch), nn.Dropout(dropout),
                                      nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), nn.InstanceNorm2d(ch))

        def forward(self, x):
            return x + self.body(x)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            f = filters
            self.body = nn.Sequential(
                nn.ReflectionPad2d(3), nn.Conv2d(3, f, 7), *norm_relu(f),
                nn.Conv2d(f, 2 * f, 3, stride=2, padding=1), *norm_relu(2 * f),
                nn.Conv2d(2 * f, 4 * f, 3, stride=2, padding=1), *norm_relu(4 * f),
                *[Block(4 * f) for _ in range(blocks)],
                nn.ConvTranspose2d(4 * f, 2 * f, 3, stride=2, padding=1, output_padding=1), *norm_relu(2 * f),
                nn.ConvTranspose2d(2 * f, f, 3, stride=2, padding=1, output_padding=1), *norm_relu(f),
                nn.ReflectionPad2d(3), nn.Conv2d(f, 3, 7), nn.Tanh())

        def forward(self, x):
            return torch.clamp(x + self.body(x), -1.0, 1.0)

    return Generator().eval()


def copy_keras_weights(torch, net, keras_gen) -> None:
    """The Keras generator's convolution weights into ``net`` (same layer order): Keras kernels
    are [kh, kw, in, out] (transposed: [kh, kw, out, in]), PyTorch's [out, in, kh, kw]
    (transposed: [in, out, kh, kw]); both are permuted (3, 2, 0, 1)."""
    convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    kconvs = [layer for layer in keras_gen.layers if type(layer).__name__ in ("Conv2D", "Conv2DTranspose")]
    assert len(convs) == len(kconvs), (len(convs), len(kconvs))
    with torch.no_grad():
        for mod, layer in zip(convs, kconvs):
            kernel, bias = layer.get_weights()
            mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
            mod.bias.copy_(torch.from_numpy(bias))


def torch_runner(torch, net, bf16: bool = False):
    """``fn(uint8 HxWx3) -> uint8 HxWx3`` doing what ``Restorer`` does, with PyTorch."""
    from training.inference.restorer import _pad4, _to_uint8

    def run(img):
        h, w = img.shape[:2]
        x = torch.from_numpy(np.ascontiguousarray(_pad4(img).transpose(2, 0, 1)[None])).float() / 127.5 - 1.0
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = net(x)
        return _to_uint8(y.float()[0, :, :h, :w].permute(1, 2, 0).numpy())
    return run


def torch_unet(torch, keras_gen):
    """The ``cpu`` preset's ``unet`` generator (``training/nets_unet.py``) in PyTorch, NCHW, with the
    Keras generator's weights: convolutions looked up by their Keras names. TensorFlow's "same"
    padding of a stride-2 convolution puts its one pixel at the bottom and right, and its
    space/depth shuffles order channels as (row in block, column in block, channel); both are
    written out here, so the two compute the same function."""
    nn, F = torch.nn, torch.nn.functional
    convs = {layer.name: layer for layer in keras_gen.layers if type(layer).__name__ == "Conv2D"}
    blocks = sorted({n.rsplit("_", 1)[0] for n in convs if n.startswith("mid") and n[3].isdigit()})

    def to_torch(layer):
        kernel, bias = layer.get_weights()
        conv = nn.Conv2d(kernel.shape[2], kernel.shape[3], kernel.shape[0], stride=layer.strides[0])
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
            conv.bias.copy_(torch.from_numpy(bias))
        return conv

    def space_to_depth(x):
        n, c, h, w = x.shape
        return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(n, 4 * c, h // 2, w // 2)

    def depth_to_space(x):
        n, c, h, w = x.shape
        return x.reshape(n, 2, 2, c // 4, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // 4, 2 * h, 2 * w)

    class Unet(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleDict({name: to_torch(layer) for name, layer in convs.items()})

        def conv(self, name, x):
            conv = self.convs[name]
            k, s = conv.kernel_size[0], conv.stride[0]
            if k > 1:  # TensorFlow's SAME: (k - 1) split with the odd pixel after; stride 2 pads 0 before
                pad = (k - 1) // 2 if s == 1 else 0
                x = F.pad(x, (pad, k - 1 - pad, pad, k - 1 - pad)) if s == 2 else F.pad(x, (pad,) * 4)
            return conv(x)

        def block(self, name, x):
            return x + self.conv(f"{name}_b", F.leaky_relu(self.conv(f"{name}_a", x), 0.2))

        def forward(self, inp):
            h, w = inp.shape[2:]
            x = F.pad(inp, (0, -w % 8, 0, -h % 8), mode="reflect")
            e1 = self.block("enc1", self.conv("enc1_in", space_to_depth(x)))
            e2 = self.block("enc2", self.conv("enc2_in", F.leaky_relu(e1, 0.2)))
            x = self.conv("mid_in", F.leaky_relu(e2, 0.2))
            for name in blocks:
                x = self.block(name, x)
            x = self.block("dec2", depth_to_space(self.conv("up2_conv", x)) + e2)
            x = self.block("dec1", depth_to_space(self.conv("up1_conv", x)) + e1)
            x = depth_to_space(self.conv("tail", F.leaky_relu(x, 0.2)))[:, :, :h, :w]
            return torch.clamp(x + inp, -1.0, 1.0)

    return Unet().eval()
