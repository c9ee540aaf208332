using System.Globalization;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// A CUDA device's FP32 peak without tensor cores, from ILGPU's <see cref="CudaAccelerator"/>:
/// multiprocessors x clock x FP32 lanes per multiprocessor (by compute capability) x 2 (a fused
/// multiply-add is two operations).
/// </summary>
/// <param name="Multiprocessors"><see cref="ILGPU.Runtime.Accelerator.NumMultiprocessors"/>.</param>
/// <param name="ClockKhz"><see cref="CudaAccelerator.ClockRate"/>, the driver's peak clock in kHz.</param>
/// <param name="Major">Compute capability, major.</param>
/// <param name="Minor">Compute capability, minor.</param>
/// <param name="LanesPerMultiprocessor">FP32 lanes per multiprocessor for that capability, or 0 when not in the table.</param>
internal sealed record GpuPeak(int Multiprocessors, int ClockKhz, int Major, int Minor, int LanesPerMultiprocessor)
{
    /// <summary>Reads the figures of an accelerator.</summary>
    public static GpuPeak Of(CudaAccelerator accelerator)
    {
        var arch = accelerator.Architecture;
        return new GpuPeak(accelerator.NumMultiprocessors, accelerator.ClockRate, arch.Major, arch.Minor, LanesPerSm(arch.Major, arch.Minor));
    }

    /// <summary>
    /// FP32 lanes (CUDA cores) per multiprocessor, from the CUDA C programming guide's table of
    /// arithmetic throughput: 64 on 6.0, 7.x and 8.0; 128 on 5.x, 6.1/6.2, 8.6-8.9, 9.0 and later.
    /// </summary>
    public static int LanesPerSm(int major, int minor) => (major, minor) switch
    {
        (3, _) => 192,
        (5, _) => 128,
        (6, 0) => 64,
        (6, _) => 128,
        (7, _) => 64,
        (8, 0) => 64,
        (8, _) => 128,
        (>= 9, _) => 128,
        _ => 0,
    };

    /// <summary>The peak in GFLOP/s, or 0 when a figure is missing.</summary>
    public double Gflops => 2.0 * Multiprocessors * (ClockKhz / 1e6) * LanesPerMultiprocessor;

    /// <summary>How the peak was computed, with every number used.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string capability = Major == 0 ? "unknown compute capability" : $"compute capability {Major}.{Minor}";
        if (Gflops <= 0)
            return string.Create(c, $"not computed: {Multiprocessors} multiprocessors, clock {ClockKhz} kHz, {capability} (no FP32 lane count for it)");
        return string.Create(c, $"{Gflops / 1000:0.0} TFLOP/s = {Multiprocessors} multiprocessors x {ClockKhz / 1000.0:0} MHz (CudaAccelerator.ClockRate {ClockKhz} kHz) x {LanesPerMultiprocessor} FP32 lanes per multiprocessor ({capability}) x 2 (FMA)");
    }
}
