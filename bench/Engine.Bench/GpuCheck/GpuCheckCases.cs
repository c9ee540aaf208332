using Engine.Bench.Cases;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// What the GPU report adds to the suite's own cases while it runs (the lists stay empty
/// otherwise, so the suite and bench/compare.sh see only the shared cases): a 4096^3 GEMM and the
/// issue's two training targets, ResNet-50 at batch 64 on 224x224 and the paper's U-Net
/// (572x572 in, 388x388 out, 64 channels at the first level) at batch 1.
/// </summary>
internal static class GpuCheckCases
{
    /// <summary>GEMM shapes added to <see cref="Blas.GemmBenchmarks"/>.</summary>
    public static List<GemmShape> ExtraGemm { get; } = [];

    /// <summary>Training cases added to <see cref="Training.TrainingStepBenchmarks"/>.</summary>
    public static List<ModelCase> ExtraTraining { get; } = [];

    /// <summary>The large square GEMM of the report.</summary>
    public static GemmShape Gemm4096 { get; } = new("4096^3", 4096, 4096, 4096, 1, false, false, false);

    /// <summary>
    /// The training targets; <paramref name="quick"/> (a dry run on the CPU) takes ResNet-50
    /// at batch 2, which the case's name says.
    /// </summary>
    public static IEnumerable<ModelCase> Targets(bool quick)
    {
        int batch = quick ? 2 : 64;
        yield return new($"resnet50-224-b{batch}", "resnet50", 64, batch, 3, 224, 1000);
        yield return new("unet64-572-b1", "unet", 64, 1, 1, 572, 2);
    }

    /// <summary>The target for a case, as text, or null.</summary>
    public static string? Target(string caseName) => caseName switch
    {
        "4096^3" => ">= 50% of peak, >= 70% of cuBLAS",
        "resnet50-224-b64" => ">= 600 images/s",
        "unet64-572-b1" => ">= 20 images/s",
        _ => null,
    };
}
