namespace Engine.Bench.Cases;

/// <summary>
/// A model at a stated batch and input size, for training steps and inference batches measured the
/// same way in the engine's suite and in LibTorch's (the names are the join key of the comparison).
/// </summary>
/// <param name="Name">The case's name.</param>
/// <param name="Model">resnet18-small (3x3 stem, no max pool), resnet18 (torchvision's), unet (the paper's, valid convolutions), vae, convnet.</param>
/// <param name="Width">Channels of the first level (ResNet stem, U-Net level 1).</param>
/// <param name="Batch">Images per step.</param>
/// <param name="Channels">Input channels.</param>
/// <param name="Size">Input side.</param>
/// <param name="Classes">Output classes (0 for the VAE).</param>
public sealed record ModelCase(string Name, string Model, int Width, int Batch, int Channels, int Size, int Classes)
{
    /// <summary>The training steps of the comparison.</summary>
    public static IEnumerable<ModelCase> Training()
    {
        yield return new("convnet-28", "convnet", 32, 32, 1, 28, 10);
        yield return new("resnet18s16-28-b64", "resnet18-small", 16, 64, 1, 28, 10);
        yield return new("resnet18-64-b8", "resnet18", 64, 8, 3, 64, 1000);
        yield return new("unet16-188-b2", "unet", 16, 2, 1, 188, 2);
        yield return new("vae20-28-b128", "vae", 0, 128, 1, 28, 0);
    }

    /// <summary>The inference batches of the comparison.</summary>
    public static IEnumerable<ModelCase> Inference()
    {
        yield return new("resnet18s16-28-b64", "resnet18-small", 16, 64, 1, 28, 10);
        yield return new("resnet18-224-b8", "resnet18", 64, 8, 3, 224, 1000);
        yield return new("unet16-188-b2", "unet", 16, 2, 1, 188, 2);
        yield return new("vae20-28-b128", "vae", 0, 128, 1, 28, 0);
    }

    /// <summary>
    /// The training steps whose launch profile issue 12 reports: ResNet-18 (small stem, width 64)
    /// at batch 128 on 3x32x32 and the paper's U-Net (width 64) at batch 1 on 572x572.
    /// </summary>
    public static IEnumerable<ModelCase> Profiled()
    {
        yield return new("resnet18s64-32-b128", "resnet18-small", 64, 128, 3, 32, 10);
        yield return new("unet64-572-b1", "unet", 64, 1, 1, 572, 2);
        yield return new("resnet50-224-b64", "resnet50", 64, 64, 3, 224, 1000); // the GPU check's ImageNet-sized target
    }

    /// <summary>The short name (BenchmarkDotNet shows parameters by their text).</summary>
    public override string ToString() => Name;
}
