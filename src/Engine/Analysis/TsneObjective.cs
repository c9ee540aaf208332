using Engine.Devices;
using Engine.Kernels.Embedding;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Analysis;

/// <summary>
/// The t-SNE objective on the device for one P <c>[N, N]</c>: the buffers every iteration needs,
/// allocated once (attraction and repulsion <c>[N, 2]</c>, each point's share of Z <c>[N]</c>, Z,
/// the divergence's per-point shares and the reduction's partial sums), and the launches that fill
/// them. Nothing is read back except by <see cref="Divergence"/>.
/// </summary>
internal sealed class TsneObjective : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly Tensor _p;
    private readonly int _n;
    private readonly Tensor _kernelSums, _z, _divergenceRows, _divergence, _workspace;

    /// <summary>Allocates the buffers for <paramref name="p"/> <c>[N, N]</c>, which the caller keeps owning.</summary>
    internal TsneObjective(Tensor p)
    {
        _p = p;
        _device = p.Device;
        _n = p.Shape[0];
        Attraction = Tensor.Empty(_device, _n, 2);
        Repulsion = Tensor.Empty(_device, _n, 2);
        _kernelSums = Tensor.Empty(_device, _n);
        _z = Tensor.Empty(_device, 1);
        _divergenceRows = Tensor.Empty(_device, _n);
        _divergence = Tensor.Empty(_device, 1);
        _workspace = Tensor.Empty(_device, (int)Math.Max(1, FullSum.Workspace(_n) / sizeof(float)));
        foreach (var t in new[] { Attraction, Repulsion, _kernelSums, _z, _divergenceRows, _divergence, _workspace })
            t.DetachFromScope();
    }

    /// <summary>A <c>[N, 2]</c>, as of the last <see cref="Forces"/>.</summary>
    internal Tensor Attraction { get; }

    /// <summary>R <c>[N, 2]</c>, as of the last <see cref="Forces"/>.</summary>
    internal Tensor Repulsion { get; }

    /// <summary>Z <c>[1]</c>, as of the last <see cref="Forces"/>.</summary>
    internal Tensor Z => _z;

    /// <summary>Attraction, repulsion and Z for the embedding <paramref name="y"/> <c>[N, 2]</c>: one pass over the pairs, then Z summed in a fixed order.</summary>
    internal void Forces(Tensor y)
    {
        _device.Kernel(TsneGradientLoaders.Forces)(_n, y.View, _p.View, Attraction.View, Repulsion.View, _kernelSums.View, _n);
        FullSum.Run(_device, _kernelSums.View, _n, _z.View, _workspace.View);
    }

    /// <summary>The gradient <c>[N, 2]</c> of KL(a P || Q) as of the last <see cref="Forces"/>, into <paramref name="gradient"/>.</summary>
    internal void Gradient(Tensor gradient, float exaggeration) =>
        _device.Kernel(TsneGradientLoaders.Gradient)(2 * _n, Attraction.View, Repulsion.View, _z.View, gradient.View, exaggeration);

    /// <summary>KL(a P || Q) for <paramref name="y"/>, whose Z the last <see cref="Forces"/> computed; reads one value back.</summary>
    internal double Divergence(Tensor y, float exaggeration)
    {
        _device.Kernel(TsneGradientLoaders.Divergence)(_n, y.View, _p.View, _z.View, _divergenceRows.View, _n, exaggeration, TsneAffinities.Floor);
        FullSum.Run(_device, _divergenceRows.View, _n, _divergence.View, _workspace.View);
        return _divergence.ToArray()[0];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in new[] { Attraction, Repulsion, _kernelSums, _z, _divergenceRows, _divergence, _workspace })
            t.Dispose();
    }
}
