using System.Runtime.ExceptionServices;
using Engine.Kernels.Blas;
using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// Which code path ops take on one device, decided here and nowhere else: host code or ILGPU
/// kernels (<see cref="Host"/>), the GEMM kernel (<see cref="Gemm"/>), how convolutions run
/// (<see cref="Convolution"/>) and the block-tiled products' tile size (<see cref="LargeTiles"/>).
/// Resolved once when the device opens, from its accelerator type, its <see cref="DeviceInfo"/> and
/// the environment variables <c>ENGINE_HOST_PATH</c> and <c>ENGINE_GEMM</c>; ops ask
/// <c>device.Paths</c> and never re-derive it. A thread may force any of the answers for a scope
/// (<see cref="Override"/>, what tests do), and every answer is that thread's override, else the
/// device's own.
/// </summary>
internal sealed class ExecutionPaths
{
    /// <summary>The environment variable that switches the host path off for a whole process (<c>0</c>, <c>off</c>, <c>false</c>): the CPU accelerator then runs every ILGPU kernel, as CI's kernel stage does.</summary>
    internal const string HostPathVariable = "ENGINE_HOST_PATH";

    /// <summary>The environment variable that replaces the automatic GEMM choice for a process: <c>register</c>, <c>shared</c> or <c>host</c> (to profile or test the GPU's kernel on another device).</summary>
    internal const string GemmVariable = "ENGINE_GEMM";

    /// <summary>
    /// Multiprocessors the tile choice plans for, at least: a data-centre GPU's 132. A product takes
    /// 128x128 tiles when they give every multiprocessor two groups, else 64x64 tiles (four times
    /// the groups). Both sum each output's products in the same order, so the choice never changes
    /// a result.
    /// </summary>
    internal const int PlannedMultiprocessors = 132;

    // Threads in one group of the block-tiled GEMMs (16 x 16): what a device must allow for them.
    private const int SharedGroupThreads = GemmSharedTiledKernels.GroupSide * GemmSharedTiledKernels.GroupSide;

    // Read once per process, as every device of the process takes the same answer.
    private static readonly bool HostPathByDefault = Environment.GetEnvironmentVariable(HostPathVariable) is not ("0" or "off" or "false");

    private static readonly Lazy<GemmAlgorithm> GemmByEnvironment = new(() => Environment.GetEnvironmentVariable(GemmVariable) switch
    {
        null or "" or "auto" => GemmAlgorithm.Auto,
        "register" => GemmAlgorithm.RegisterTiled,
        "shared" => GemmAlgorithm.SharedMemoryTiled,
        "host" => GemmAlgorithm.Host,
        var other => throw new ArgumentException($"{GemmVariable}={other} is not a GEMM algorithm: use auto, register, shared or host."),
    });

    [ThreadStatic]
    private static PathOverride? t_override;

    private readonly bool _cpu;
    private readonly string _spec;
    private readonly int _maxGroupSize;
    private readonly long _largeTileGroups;
    // The GEMM with the host path on (CPU accelerator only) and off, or why ENGINE_GEMM cannot be
    // met here (thrown when a GEMM is asked for, as before the device resolved it once).
    private readonly (GemmAlgorithm Algorithm, ExceptionDispatchInfo? Refusal) _gemmOnHost, _gemmOnKernels;

    /// <summary>Resolves the paths of a device with accelerator type <paramref name="accelerator"/> and description <paramref name="info"/>.</summary>
    internal ExecutionPaths(AcceleratorType accelerator, DeviceInfo info)
    {
        _cpu = accelerator == AcceleratorType.CPU;
        _spec = info.Spec;
        _maxGroupSize = info.MaxGroupSize;
        _largeTileGroups = 2L * Math.Max(info.Multiprocessors, PlannedMultiprocessors);
        bool groupsFit = info.MaxGroupSize >= SharedGroupThreads;
        var kernels = info.IsGpu && groupsFit ? GemmAlgorithm.SharedMemoryTiled : GemmAlgorithm.RegisterTiled;
        _gemmOnHost = AutoGemm(_cpu ? GemmAlgorithm.Host : kernels);
        _gemmOnKernels = AutoGemm(kernels);
    }

    // ENGINE_GEMM's choice (checked for this device) where it is set, else `rule`.
    private (GemmAlgorithm, ExceptionDispatchInfo?) AutoGemm(GemmAlgorithm rule)
    {
        try
        {
            return (GemmByEnvironment.Value == GemmAlgorithm.Auto ? rule : Checked(GemmByEnvironment.Value), null);
        }
        catch (ArgumentException refusal)
        {
            return (GemmAlgorithm.Auto, ExceptionDispatchInfo.Capture(refusal));
        }
    }

    /// <summary>Whether the host path is on for this thread (on unless <c>ENGINE_HOST_PATH=0</c> or an <see cref="Override"/> says otherwise); it applies on the CPU accelerator only (<see cref="Host"/>).</summary>
    internal static bool HostPathOn => t_override?.HostPath ?? HostPathByDefault;

    /// <summary>True when ops on this device run as host code on its buffers: the CPU accelerator with the host path on (<see cref="HostPath"/>).</summary>
    internal bool Host => _cpu && HostPathOn;

    /// <summary>The GEMM that <see cref="GemmAlgorithm.Auto"/> means here: ENGINE_GEMM's choice where set, else the host's on the host path, shared-memory tiles on a GPU whose groups fit them, register tiles elsewhere.</summary>
    /// <exception cref="ArgumentException">ENGINE_GEMM names no algorithm, or one this device cannot run.</exception>
    internal GemmAlgorithm Gemm
    {
        get
        {
            var (algorithm, refusal) = Host ? _gemmOnHost : _gemmOnKernels;
            refusal?.Throw();
            return algorithm;
        }
    }

    /// <summary>
    /// How convolutions run here: as forced by this thread's override (implicit GEMM, or not), else
    /// on the host path where it is on, as implicit GEMM where products run on the block-tiled GEMMs
    /// (a GPU, or <c>ENGINE_GEMM=shared</c>), else through im2col.
    /// </summary>
    /// <exception cref="ArgumentException">Implicit GEMM is forced on a device whose groups are too small for it, or <see cref="Gemm"/> refuses.</exception>
    internal ConvolutionPath Convolution
    {
        get
        {
            if (t_override?.ImplicitGemm is bool forced)
            {
                if (forced)
                    Checked(GemmAlgorithm.SharedMemoryTiled);
                return forced ? ConvolutionPath.Implicit : Host ? ConvolutionPath.Host : ConvolutionPath.Im2col;
            }
            return Host ? ConvolutionPath.Host : Gemm == GemmAlgorithm.SharedMemoryTiled ? ConvolutionPath.Implicit : ConvolutionPath.Im2col;
        }
    }

    /// <summary>Whether a block-tiled launch of <paramref name="groups"/> 128x128 blocks takes them (else 64x64): two per planned multiprocessor (<see cref="PlannedMultiprocessors"/>), or as this thread forces.</summary>
    internal bool LargeTiles(long groups) => t_override?.LargeTiles ?? groups >= _largeTileGroups;

    /// <summary>An explicitly chosen GEMM algorithm, checked against this device.</summary>
    /// <exception cref="ArgumentException">The host GEMM off the CPU accelerator, or shared-memory tiles where groups are too small.</exception>
    internal GemmAlgorithm Checked(GemmAlgorithm algorithm) => algorithm switch
    {
        GemmAlgorithm.Auto => Gemm,
        GemmAlgorithm.Host when !_cpu => throw new ArgumentException(
            $"{nameof(GemmAlgorithm.Host)} runs only on the CPU accelerator, whose buffers are host memory; {_spec} is not.", nameof(algorithm)),
        GemmAlgorithm.SharedMemoryTiled when _maxGroupSize < SharedGroupThreads => throw new ArgumentException(
            $"{nameof(GemmAlgorithm.SharedMemoryTiled)} needs groups of {SharedGroupThreads} threads; {_spec} allows {_maxGroupSize}.", nameof(algorithm)),
        GemmAlgorithm.RegisterTiled or GemmAlgorithm.SharedMemoryTiled or GemmAlgorithm.Host => algorithm,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown GEMM algorithm."),
    };

    /// <summary>
    /// Forces the given answers on this thread until the returned scope is disposed, which puts back
    /// the override that was there before (so a test that runs the kernels leaves a process-wide
    /// <c>ENGINE_HOST_PATH=0</c> in force afterwards). Answers left null keep what an enclosing
    /// override forced, or the device's own. Dispose nested scopes innermost first, as <c>using</c> does.
    /// </summary>
    /// <param name="hostPath">The host path on or off (CPU accelerator).</param>
    /// <param name="implicitGemm">Convolutions as implicit GEMM, or not (tests prove both on any device whose groups allow it).</param>
    /// <param name="largeTiles">Block-tiled products with 128x128 tiles, or 64x64 (tests prove both on small shapes).</param>
    internal static Scope Override(bool? hostPath = null, bool? implicitGemm = null, bool? largeTiles = null)
    {
        var previous = t_override;
        t_override = new PathOverride(hostPath ?? previous?.HostPath, implicitGemm ?? previous?.ImplicitGemm, largeTiles ?? previous?.LargeTiles);
        return new Scope(previous);
    }

    /// <summary>The scope returned by <see cref="Override"/>.</summary>
    internal readonly struct Scope(PathOverride? previous) : IDisposable
    {
        /// <summary>Puts back the override that was in force before.</summary>
        public void Dispose() => t_override = previous;
    }
}
