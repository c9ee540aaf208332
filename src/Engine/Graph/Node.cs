using Engine.Tensors;

namespace Engine.Graph;

/// <summary>The element type of a graph value.</summary>
public enum ValueKind
{
    /// <summary>float32 (activations, gradients, losses).</summary>
    Float,
    /// <summary>int32 (pooling indices, class targets).</summary>
    Int,
}

/// <summary>
/// A symbolic tensor in a graph being built: its shape is known when it is created (shape
/// inference), its data only once the graph is compiled and run.
/// </summary>
public sealed class Node
{
    internal Node(GraphBuilder graph, int id, Shape shape, ValueKind kind, string name)
    {
        Graph = graph;
        Id = id;
        Shape = shape;
        Kind = kind;
        Name = name;
    }

    /// <summary>The graph this node belongs to.</summary>
    public GraphBuilder Graph { get; }

    /// <summary>Position in creation order (a topological order).</summary>
    public int Id { get; }

    /// <summary>The shape, inferred at build time.</summary>
    public Shape Shape { get; }

    /// <summary>Float or int.</summary>
    public ValueKind Kind { get; }

    /// <summary>A readable name: the module path and op that made it.</summary>
    public string Name { get; }

    /// <summary>The op that produces this node, or null for inputs.</summary>
    public GraphOp? Producer { get; internal set; }

    /// <summary>True when gradients flow back through this node (it depends on a parameter or a differentiable input).</summary>
    public bool RequiresGrad { get; internal set; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shape}";
}
