using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Pooling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary>
/// Spatial pyramid pooling (He et al., SPP-net): for each level <c>l</c>, adaptive max pooling to
/// <c>l x l</c> flattened to <c>[N, C l²]</c>, the levels concatenated in order: <c>[N, C Σ l²]</c>
/// whatever the input's height and width, so that one classifier head takes images of several sizes.
/// </summary>
public sealed class SpatialPyramidPooling : Module
{
    private readonly int[] _levels;

    /// <summary>A pyramid with the given levels (default <c>{1, 2, 4}</c>), each positive.</summary>
    public SpatialPyramidPooling(IReadOnlyList<int>? levels = null)
    {
        _levels = [.. levels ?? [1, 2, 4]];
        if (_levels.Length == 0)
            throw new ArgumentException("SpatialPyramidPooling: needs at least one level.", nameof(levels));
        if (_levels.Any(l => l <= 0))
            throw new ArgumentException($"SpatialPyramidPooling: levels must be positive, got [{string.Join(", ", _levels)}].", nameof(levels));
    }

    /// <summary>The levels, in concatenation order.</summary>
    public IReadOnlyList<int> Levels => _levels;

    /// <summary>The output features per image for <paramref name="channels"/> input channels: <c>C Σ l²</c>.</summary>
    public int OutputFeatures(int channels) => channels * _levels.Sum(l => l * l);

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var g = input.Graph;
        var parts = new Node[_levels.Length];
        for (int i = 0; i < _levels.Length; i++)
        {
            var spec = AdaptivePool2dSpec.Create($"SpatialPyramidPooling level {_levels[i]}", input.Shape, _levels[i]);
            var pooled = g.Add(new AdaptiveMaxPool2dNode(g.OpName("adaptive_max_pool2d"), spec, input), (spec.OutputShape, ValueKind.Float), (spec.OutputShape, ValueKind.Int))[0];
            parts[i] = pooled.Flatten();
        }
        return parts.Length == 1 ? parts[0] : NodeFunctions.Concat(parts);
    }
}
