"""The engine's models (src/Models, bench/Engine.Bench/Training/EngineModels.cs) in plain torch.nn,
layer for layer, so that a training step costs PyTorch the same arithmetic as the engine: the same
convolutions, normalisations, pools and losses (bench/Engine.Bench.Peer/PeerModels.cs is the same
in TorchSharp). No torchvision: it is not on every machine the GPU check runs on."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def create(model, width, channels, size, classes):
    """The model of a case (bench/Shared/ModelCase.cs names them)."""
    if model == "resnet18-small":
        return ResNet("basic", [2, 2, 2, 2], classes, channels, small_stem=True, width=width)
    if model == "resnet18":
        return ResNet("basic", [2, 2, 2, 2], classes, channels, small_stem=False, width=width)
    if model == "resnet50":
        return ResNet("bottleneck", [3, 4, 6, 3], classes, channels, small_stem=False, width=width)
    if model == "unet":
        return UNet(channels, classes, width)
    if model == "vae":
        return Vae(channels, size)
    if model == "convnet":
        return nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * width * (size // 4) * (size // 4), classes))
    raise ValueError(f"unknown model '{model}'")


def loss(model, x, targets):
    """The training loss: cross-entropy on logits (per pixel for the U-Net), the VAE's negative ELBO."""
    if isinstance(model, Vae):
        return model.negative_elbo(x)
    return F.cross_entropy(model(x), targets)


def targets_for(model, x, batch, device):
    """Class-0 targets shaped like the model's logits (per pixel for the U-Net); None for the VAE."""
    if isinstance(model, Vae):
        return None
    with torch.no_grad():
        logits = model(x)
    shape = (batch,) if logits.dim() == 2 else (batch, logits.shape[2], logits.shape[3])
    return torch.zeros(shape, dtype=torch.long, device=device)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock."""
    expansion = 1

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (ResNet v1.5: the stride on the 3x3 convolution), as the engine's."""
    expansion = 4

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or in_planes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes * 4, 1, stride=stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """torchvision's ResNet-18/50, or with a 3x3 stem and no max pool (small_stem)."""

    def __init__(self, kind, blocks, classes, in_channels, small_stem, width):
        super().__init__()
        block = Bottleneck if kind == "bottleneck" else BasicBlock
        self.small_stem = small_stem
        self.conv1 = (nn.Conv2d(in_channels, width, 3, padding=1, bias=False) if small_stem
                      else nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False))
        self.bn1 = nn.BatchNorm2d(width)
        layers, in_planes = [], width
        for stage, count in enumerate(blocks):
            planes = width << stage
            for b in range(count):
                layers.append(block(in_planes, planes, 2 if b == 0 and stage > 0 else 1))
                in_planes = planes * block.expansion
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(in_planes, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        if not self.small_stem:
            h = F.max_pool2d(h, 3, 2, 1)
        h = self.layers(h)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def double_conv(in_channels, out_channels):
    """Two valid 3x3 convolutions with bias, each followed by ReLU (the paper's U-Net)."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3), nn.ReLU())


class UNet(nn.Module):
    """The paper's U-Net: valid 3x3 convolutions, 2x2 max pool, 2x2 up-convolution, centre-cropped skips
    concatenated before the up-convolution's output, a 1x1 convolution to the classes."""

    def __init__(self, in_channels, classes, width, depth=4):
        super().__init__()
        channels = width
        self.down = nn.ModuleList([double_conv(in_channels, channels)])
        for _ in range(depth):
            self.down.append(double_conv(channels, channels * 2))
            channels *= 2
        self.up, self.decode = nn.ModuleList(), nn.ModuleList()
        for _ in range(depth):
            self.up.append(nn.ConvTranspose2d(channels, channels // 2, 2, stride=2))
            self.decode.append(double_conv(channels, channels // 2))
            channels //= 2
        self.outc = nn.Conv2d(channels, classes, 1)

    def forward(self, x):
        skips, h = [], self.down[0](x)
        for level in range(1, len(self.down)):
            skips.append(h)
            h = self.down[level](F.max_pool2d(h, 2))
        for up, decode in zip(self.up, self.decode):
            u = up(h)
            skip = skips.pop()
            dh, dw = (skip.shape[2] - u.shape[2]) // 2, (skip.shape[3] - u.shape[3]) // 2
            h = decode(torch.cat([skip[:, :, dh:dh + u.shape[2], dw:dw + u.shape[3]], u], 1))
        return self.outc(h)


class Vae(nn.Module):
    """The engine's VAE: strided convolutions to (mu, logvar), a reparameterised z of 20, transposed
    convolutions back; negative ELBO with a Bernoulli likelihood, per image."""

    def __init__(self, channels, size, latent=20):
        super().__init__()
        self.size = size
        features = 64 * (size // 4) * (size // 4)
        self.enc1 = nn.Conv2d(channels, 32, 4, stride=2, padding=1)
        self.enc2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
        self.fc_mu = nn.Linear(features, latent)
        self.fc_logvar = nn.Linear(features, latent)
        self.fc_dec = nn.Linear(latent, features)
        self.dec1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.dec2 = nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1)

    def encode(self, x):
        h = torch.flatten(F.relu(self.enc2(F.relu(self.enc1(x)))), 1)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        h = F.relu(self.fc_dec(z)).reshape(z.shape[0], 64, self.size // 4, self.size // 4)
        return self.dec2(F.relu(self.dec1(h)))

    def forward(self, x):
        return self.decode(self.encode(x)[0])

    def negative_elbo(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decode(z)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
        return reconstruction + kl
