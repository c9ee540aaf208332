using Engine.Bench.Cases;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// The cases of the GPU check, in the order they run: the targets first (a 4096^3 GEMM,
/// checked against cuBLAS; ResNet-50 at batch 64 on 3x224x224; the paper's U-Net, 572x572 in,
/// 64 channels at the first level, batch 1), then the suite's GEMM shapes, convolution layers and
/// training steps (bench/Shared). The PyTorch peer reads the same list (<c>--list-cases</c>).
/// </summary>
internal static class GpuCheckCases
{
    /// <summary>
    /// The cases; <paramref name="quick"/> is the dry run's list for the CPU accelerator: the
    /// targets shrunk (their names say how) and only the cheaper of the other cases, so the whole
    /// check proves its plumbing in a couple of minutes.
    /// </summary>
    public static IReadOnlyList<GpuCheckCase> All(bool quick) => quick ? Quick() : Full();

    /// <summary>The target for a case, as text, or null.</summary>
    public static string? Target(string caseName) => caseName switch
    {
        "4096^3" => ">= 50% of peak, >= 70% of cuBLAS",
        "resnet50-224-b64" => ">= 600 images/s",
        "unet64-572-b1" => ">= 20 images/s",
        _ => null,
    };

    private static List<GpuCheckCase> Full()
    {
        var cases = new List<GpuCheckCase>
        {
            GpuCheckCase.Of(new GemmShape("4096^3", 4096, 4096, 4096, 1, false, false, false), target: true),
            GpuCheckCase.Of(new ModelCase("resnet50-224-b64", "resnet50", 64, 64, 3, 224, 1000), target: true),
            GpuCheckCase.Of(new ModelCase("unet64-572-b1", "unet", 64, 1, 1, 572, 2), target: true),
        };
        cases.AddRange(GemmShape.All().Select(s => GpuCheckCase.Of(s)));
        cases.AddRange(ConvCase.All().Select(GpuCheckCase.Of));
        cases.AddRange(ModelCase.Training().Select(m => GpuCheckCase.Of(m)));
        return cases;
    }

    private static List<GpuCheckCase> Quick()
    {
        string[] gemm = ["256^3", "conv-fwd"];
        string[] conv = ["3x3", "up-2x2-s2"];
        string[] train = ["convnet-28", "vae20-28-b128"];
        var cases = new List<GpuCheckCase>
        {
            GpuCheckCase.Of(new GemmShape("1024^3", 1024, 1024, 1024, 1, false, false, false), target: true),
            GpuCheckCase.Of(new ModelCase("resnet50-64-b2", "resnet50", 64, 2, 3, 64, 1000), target: true),
            GpuCheckCase.Of(new ModelCase("unet8-188-b1", "unet", 8, 1, 1, 188, 2), target: true),
        };
        cases.AddRange(GemmShape.All().Where(s => gemm.Contains(s.Name)).Select(s => GpuCheckCase.Of(s)));
        cases.AddRange(ConvCase.All().Where(c => conv.Contains(c.Name)).Select(GpuCheckCase.Of));
        cases.AddRange(ModelCase.Training().Where(m => train.Contains(m.Name)).Select(m => GpuCheckCase.Of(m)));
        return cases;
    }
}
