using Engine.Bench.Cases;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Bench.Training;

/// <summary>The engine's modules for the shared model cases (the peer builds the same layers in LibTorch).</summary>
internal static class EngineModels
{
    /// <summary>Builds the model of a case.</summary>
    public static Module Create(ModelCase c) => c.Model switch
    {
        "resnet18-small" => Engine.Models.ResNet.ResNet18(c.Classes, c.Channels, smallStem: true, width: c.Width),
        "resnet18" => Engine.Models.ResNet.ResNet18(c.Classes, c.Channels, smallStem: false, width: c.Width),
        "resnet50" => Engine.Models.ResNet.ResNet50(c.Classes, c.Channels, smallStem: false, width: c.Width),
        "unet" => new Engine.Models.UNet(c.Channels, c.Classes, baseWidth: c.Width),
        "vae" => new Engine.Models.Vae(latent: 20, channels: c.Channels, size: c.Size),
        _ => new Sequential(
            new Conv2d(c.Channels, c.Width, 3, padding: 1), new BatchNorm2d(c.Width), ReLU.Create(), new MaxPool2d(2),
            new Conv2d(c.Width, 2 * c.Width, 3, padding: 1), new BatchNorm2d(2 * c.Width), ReLU.Create(), new MaxPool2d(2),
            new Flatten(), new Linear(2 * c.Width * (c.Size / 4) * (c.Size / 4), c.Classes)),
    };

    /// <summary>
    /// The training graph of a case: cross-entropy on logits (per pixel for the U-Net), the VAE's
    /// negative ELBO; returns the loss, the input and the targets (null for the VAE).
    /// </summary>
    public static (Node Loss, Node X, Node? Targets) TrainingGraph(GraphBuilder g, Module model, ModelCase c)
    {
        var x = g.Input("x", c.Batch, c.Channels, c.Size, c.Size);
        if (model is Engine.Models.Vae vae)
            return (vae.Build(x).Loss, x, null);
        var logits = model.Call(x);
        int[] targetShape = logits.Shape.Rank == 2 ? [c.Batch] : [c.Batch, logits.Shape[2], logits.Shape[3]];
        var y = g.IntInput("y", targetShape);
        return (logits.CrossEntropy(y), x, y);
    }
}
