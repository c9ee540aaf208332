using Engine.Bench.Cases;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>
/// The engine's models (src/Models) written in LibTorch layer for layer: the same convolutions,
/// normalisations and losses, so a step costs both the same arithmetic.
/// </summary>
public static class PeerModels
{
    /// <summary>Builds the model of a case.</summary>
    public static nn.Module<Tensor, Tensor> Create(ModelCase c) => c.Model switch
    {
        "resnet18-small" => new ResNet18(c.Classes, c.Channels, smallStem: true, c.Width),
        "resnet18" => new ResNet18(c.Classes, c.Channels, smallStem: false, c.Width),
        "unet" => new UNet(c.Channels, c.Classes, c.Width),
        "vae" => new Vae(c.Channels, c.Size),
        _ => nn.Sequential(
            nn.Conv2d(c.Channels, c.Width, 3, padding: 1), nn.BatchNorm2d(c.Width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c.Width, 2 * c.Width, 3, padding: 1), nn.BatchNorm2d(2 * c.Width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * c.Width * (c.Size / 4) * (c.Size / 4), c.Classes)),
    };

    /// <summary>The training loss of a case on input <paramref name="x"/>: cross-entropy on logits (per pixel for the U-Net), the VAE's negative ELBO.</summary>
    public static Tensor Loss(nn.Module<Tensor, Tensor> model, ModelCase c, Tensor x)
    {
        if (model is Vae vae)
            return vae.NegativeElbo(x);
        var logits = model.call(x);
        var targets = logits.dim() == 2
            ? zeros(c.Batch, dtype: ScalarType.Int64)
            : zeros(c.Batch, logits.shape[2], logits.shape[3], dtype: ScalarType.Int64);
        return nn.functional.cross_entropy(logits, targets);
    }

    /// <summary>torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]), or with a 3x3 stem and no max pool.</summary>
    public sealed class ResNet18 : nn.Module<Tensor, Tensor>
    {
        private readonly bool _smallStem;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly ModuleList<Block> blocks = new();
        private readonly Linear fc;

        public ResNet18(int classes, int inChannels, bool smallStem, int width) : base("resnet18")
        {
            _smallStem = smallStem;
            conv1 = smallStem ? nn.Conv2d(inChannels, width, 3, padding: 1, bias: false) : nn.Conv2d(inChannels, width, 7, stride: 2, padding: 3, bias: false);
            bn1 = nn.BatchNorm2d(width);
            int inPlanes = width;
            for (int stage = 0; stage < 4; stage++)
            {
                int planes = width << stage;
                for (int b = 0; b < 2; b++)
                {
                    blocks.Add(new Block(inPlanes, planes, b == 0 && stage > 0 ? 2 : 1));
                    inPlanes = planes;
                }
            }
            fc = nn.Linear(8 * width, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = nn.functional.relu(bn1.call(conv1.call(x)));
            if (!_smallStem)
                h = nn.functional.max_pool2d(h, 3, 2, 1);
            foreach (var block in blocks)
                h = block.call(h);
            return fc.call(nn.functional.adaptive_avg_pool2d(h, 1).flatten(1));
        }

        public sealed class Block : nn.Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1, conv2;
            private readonly BatchNorm2d bn1, bn2;
            private readonly nn.Module<Tensor, Tensor>? downsample;

            public Block(int inPlanes, int planes, int stride) : base("block")
            {
                conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
                bn1 = nn.BatchNorm2d(planes);
                conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
                bn2 = nn.BatchNorm2d(planes);
                if (stride != 1 || inPlanes != planes)
                    downsample = nn.Sequential(nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), nn.BatchNorm2d(planes));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                var h = nn.functional.relu(bn1.call(conv1.call(x)));
                h = bn2.call(conv2.call(h));
                return nn.functional.relu(h + (downsample?.call(x) ?? x));
            }
        }
    }

    /// <summary>The paper's U-Net: valid 3x3 convolutions with bias, 2x2 max pool, 2x2 up-convolution, centre-cropped skips.</summary>
    public sealed class UNet : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<nn.Module<Tensor, Tensor>> down = new(), decode = new();
        private readonly ModuleList<ConvTranspose2d> up = new();
        private readonly Conv2d outc;

        public UNet(int inChannels, int classes, int width) : base("unet")
        {
            int channels = width;
            down.Add(DoubleConv(inChannels, channels));
            for (int level = 1; level <= 4; level++)
            {
                down.Add(DoubleConv(channels, channels * 2));
                channels *= 2;
            }
            for (int level = 4; level >= 1; level--)
            {
                up.Add(nn.ConvTranspose2d(channels, channels / 2, 2, stride: 2));
                decode.Add(DoubleConv(channels, channels / 2));
                channels /= 2;
            }
            outc = nn.Conv2d(channels, classes, 1);
            RegisterComponents();
        }

        private static nn.Module<Tensor, Tensor> DoubleConv(int inChannels, int outChannels) =>
            nn.Sequential(nn.Conv2d(inChannels, outChannels, 3), nn.ReLU(), nn.Conv2d(outChannels, outChannels, 3), nn.ReLU());

        public override Tensor forward(Tensor x)
        {
            var skips = new List<Tensor>();
            var h = down[0].call(x);
            for (int level = 1; level <= 4; level++)
            {
                skips.Add(h);
                h = down[level].call(nn.functional.max_pool2d(h, 2));
            }
            for (int i = 0; i < 4; i++)
            {
                var u = up[i].call(h);
                var skip = skips[3 - i];
                long dh = (skip.shape[2] - u.shape[2]) / 2, dw = (skip.shape[3] - u.shape[3]) / 2;
                var cropped = skip.narrow(2, dh, u.shape[2]).narrow(3, dw, u.shape[3]);
                h = decode[i].call(cat([cropped, u], 1));
            }
            return outc.call(h);
        }
    }

    /// <summary>The engine's VAE: strided convolutions to (mu, logvar), reparameterised z, transposed convolutions back; negative ELBO with a Bernoulli likelihood.</summary>
    public sealed class Vae : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d enc1, enc2;
        private readonly Linear fc_mu, fc_logvar, fc_dec;
        private readonly ConvTranspose2d dec1, dec2;
        private readonly int _size;

        public Vae(int channels, int size) : base("vae")
        {
            _size = size;
            int features = 64 * (size / 4) * (size / 4);
            enc1 = nn.Conv2d(channels, 32, 4, stride: 2, padding: 1);
            enc2 = nn.Conv2d(32, 64, 4, stride: 2, padding: 1);
            fc_mu = nn.Linear(features, 20);
            fc_logvar = nn.Linear(features, 20);
            fc_dec = nn.Linear(20, features);
            dec1 = nn.ConvTranspose2d(64, 32, 4, stride: 2, padding: 1);
            dec2 = nn.ConvTranspose2d(32, channels, 4, stride: 2, padding: 1);
            RegisterComponents();
        }

        private (Tensor Mu, Tensor LogVar) Encode(Tensor x)
        {
            var h = nn.functional.relu(enc2.call(nn.functional.relu(enc1.call(x)))).flatten(1);
            return (fc_mu.call(h), fc_logvar.call(h));
        }

        private Tensor Decode(Tensor z)
        {
            var h = nn.functional.relu(fc_dec.call(z)).reshape(z.shape[0], 64, _size / 4, _size / 4);
            return dec2.call(nn.functional.relu(dec1.call(h)));
        }

        public override Tensor forward(Tensor x) => Decode(Encode(x).Mu);

        /// <summary>BCE with logits summed over pixels plus the Gaussian KL, per image.</summary>
        public Tensor NegativeElbo(Tensor x)
        {
            var (mu, logVar) = Encode(x);
            var z = mu + (0.5 * logVar).exp() * randn_like(mu);
            var logits = Decode(z);
            var reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction: nn.Reduction.Sum) / x.shape[0];
            var kl = -0.5 * (1 + logVar - mu.pow(2) - logVar.exp()).sum() / x.shape[0];
            return reconstruction + kl;
        }
    }
}
