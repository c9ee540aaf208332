using System.Collections.Concurrent;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Bench.Training;

/// <summary>A model and input size for a training-step benchmark.</summary>
public sealed record TrainingCase(string Name, int Batch, int Channels, int Size, int Classes)
{
    /// <summary>Planned and naive bytes of each compiled case, filled at setup, read by <see cref="MemoryColumn"/>.</summary>
    internal static readonly ConcurrentDictionary<string, MemoryPlan> Plans = new();

    /// <summary>
    /// A small conv net (digits-style), a two-level U-Net with valid convolutions, and the card's
    /// models at stated sizes: ResNet-18 (small stem) on 8 x 3x32x32, the paper's U-Net with base
    /// width 16 on 2 x 1x188x188 (output 4 x 4 smaller per level: 4 poolings), the VAE on 32 x 1x28x28.
    /// </summary>
    public static IEnumerable<TrainingCase> All()
    {
        yield return new("convnet-28", 32, 1, 28, 10);
        yield return new("unet-2lvl-64", 4, 1, 64, 2);
        yield return new("resnet18-32", 8, 3, 32, 10);
        yield return new("unet16-188", 2, 1, 188, 2);
        yield return new("vae20-28", 32, 1, 28, 0);
    }

    /// <summary>Builds the model.</summary>
    public Module CreateModel() => Name switch
    {
        "unet-2lvl-64" => new TwoLevelUNet(),
        "resnet18-32" => Engine.Models.ResNet.ResNet18(Classes, Channels, smallStem: true),
        "unet16-188" => new Engine.Models.UNet(Channels, Classes, baseWidth: 16),
        "vae20-28" => new Engine.Models.Vae(latent: 20, channels: Channels, size: Size),
        _ => new Sequential(
            new Conv2d(Channels, 32, 3, padding: 1), new BatchNorm2d(32), ReLU.Create(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1), new BatchNorm2d(64), ReLU.Create(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * (Size / 4) * (Size / 4), Classes)),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>U-Net shape: two 3x3 valid convs per level, max pool, up-convolution, cropped skip.</summary>
    private sealed class TwoLevelUNet : Module
    {
        public TwoLevelUNet()
        {
            Register("enc1", new Sequential(new Conv2d(1, 16, 3), ReLU.Create(), new Conv2d(16, 16, 3), ReLU.Create()));
            Register("enc2", new Sequential(new Conv2d(16, 32, 3), ReLU.Create(), new Conv2d(32, 32, 3), ReLU.Create()));
            Register("up", new ConvTranspose2d(32, 16, 2, stride: 2));
            Register("dec", new Sequential(new Conv2d(32, 16, 3), ReLU.Create(), new Conv2d(16, 16, 3), ReLU.Create()));
            Register("out", new Conv2d(16, 2, 1));
        }

        protected override Node Forward(Node x)
        {
            var skip = Call("enc1", x);
            var up = Call("up", Call("enc2", new MaxPool2d(2).Call(skip, "pool")));
            return Call("out", Call("dec", NodeFunctions.Concat(skip.CenterCrop(up.Shape[2], up.Shape[3]), up)));
        }
    }
}
