using System.Globalization;
using Engine.Bench.Cases;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// One case of the GPU check: a GEMM shape, a convolution layer or a training step (the shared
/// records of bench/Shared), with whether it is one of the issue's targets, which run first.
/// </summary>
internal sealed record GpuCheckCase(string Section, bool Target, GemmShape? Gemm = null, ConvCase? Conv = null, ModelCase? Model = null)
{
    /// <summary>The case's name, the join key of the engine's and the peer's rows.</summary>
    public string Name => Gemm?.Name ?? Conv?.Name ?? Model!.Name;

    /// <summary>A GEMM case.</summary>
    public static GpuCheckCase Of(GemmShape shape, bool target = false) => new("gemm", target, Gemm: shape);

    /// <summary>A convolution layer (forward, and forward + backward).</summary>
    public static GpuCheckCase Of(ConvCase layer) => new("conv", false, Conv: layer);

    /// <summary>A training step.</summary>
    public static GpuCheckCase Of(ModelCase model, bool target = false) => new("train", target, Model: model);

    /// <summary>
    /// The case as one line of the list the peer reads (<c>gpu-report --list-cases</c>; the peer's
    /// <c>--list-cases</c> prints its built-in copy the same way): section, name, then
    /// <c>key=value</c> fields with every size the peer needs.
    /// </summary>
    public string ToListLine()
    {
        var c = CultureInfo.InvariantCulture;
        string fields = Section switch
        {
            "gemm" => string.Create(c, $"m={Gemm!.M} n={Gemm.N} k={Gemm.K} batch={Gemm.Batch} ta={Bit(Gemm.TransposeA)} tb={Bit(Gemm.TransposeB)} ba={Bit(Gemm.BroadcastA)}"),
            "conv" => string.Create(c, $"n={Conv!.N} cin={Conv.Cin} h={Conv.H} w={Conv.W} cout={Conv.Cout} k={Conv.K} stride={Conv.Stride} pad={Conv.Padding} dil={Conv.Dilation} transposed={Bit(Conv.Transposed)}"),
            _ => string.Create(c, $"model={Model!.Model} width={Model.Width} batch={Model.Batch} channels={Model.Channels} size={Model.Size} classes={Model.Classes}"),
        };
        return $"{Section}\t{Name}\t{(Target ? "target" : "other")}\t{fields}";
    }

    private static int Bit(bool value) => value ? 1 : 0;
}
