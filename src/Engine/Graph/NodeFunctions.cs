using Engine.Graph.Nodes;
using Engine.Ops.Activation;
using Engine.Ops.Layout;
using Engine.Ops.Losses;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine.Graph;

/// <summary>
/// Functional ops on graph nodes, for composing modules (skip connections, residual adds, losses):
/// each checks its shapes now and adds one op to the graph.
/// </summary>
public static class NodeFunctions
{
    /// <summary><c>relu(x)</c>.</summary>
    public static Node Relu(this Node x) => Activation(x, ActivationKind.Relu);

    /// <summary><c>leaky_relu(x, slope)</c>.</summary>
    public static Node LeakyRelu(this Node x, float slope = 0.01f) => Activation(x, ActivationKind.LeakyRelu, slope);

    /// <summary><c>sigmoid(x)</c>.</summary>
    public static Node Sigmoid(this Node x) => Activation(x, ActivationKind.Sigmoid);

    /// <summary><c>tanh(x)</c>.</summary>
    public static Node Tanh(this Node x) => Activation(x, ActivationKind.Tanh);

    /// <summary><c>softmax(x, dim=1)</c>.</summary>
    public static Node Softmax(this Node x) => Single(x.Graph, new SoftmaxNode(x.Graph.OpName("softmax"), x, false), x.Shape);

    /// <summary><c>log_softmax(x, dim=1)</c>.</summary>
    public static Node LogSoftmax(this Node x) => Single(x.Graph, new SoftmaxNode(x.Graph.OpName("log_softmax"), x, true), x.Shape);

    /// <summary><c>a + b</c> (same shapes).</summary>
    public static Node Add(this Node a, Node b)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{a.Graph.OpName("add")}: shapes {a.Shape} and {b.Shape} differ.");
        return Single(a.Graph, new AddNode(a.Graph.OpName("add"), a, b), a.Shape);
    }

    /// <summary><c>wa * a + wb * b</c> (same shapes), e.g. reconstruction + beta * KL.</summary>
    public static Node WeightedSum(Node a, float weightA, Node b, float weightB)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{a.Graph.OpName("weighted_sum")}: shapes {a.Shape} and {b.Shape} differ.");
        return Single(a.Graph, new AddNode(a.Graph.OpName("weighted_sum"), a, b, weightA, weightB), a.Shape);
    }

    /// <summary><c>torch.cat(parts, dim=1)</c>.</summary>
    public static Node Concat(params Node[] parts)
    {
        var shape = ConcatOp.OutputShape(parts.Select(p => p.Shape).ToList());
        var graph = parts[0].Graph;
        return Single(graph, new ConcatNode(graph.OpName("cat"), parts), shape);
    }

    /// <summary>Centre crop of the last two dims (U-Net skip connections).</summary>
    public static Node CenterCrop(this Node x, int height, int width)
    {
        var (shape, top, left) = CropOp.Centre(x.Shape, height, width);
        return Single(x.Graph, new CropNode(x.Graph.OpName("crop"), x, top, left), shape);
    }

    /// <summary>
    /// The <paramref name="height"/> x <paramref name="width"/> window of the last two dims at
    /// (<paramref name="top"/>, <paramref name="left"/>): Caffe's <c>Crop</c> layer with offsets (FCN's skips).
    /// </summary>
    public static Node Crop(this Node x, int height, int width, int top, int left)
    {
        var shape = CropOp.Plan(x.Shape, height, width, top, left);
        return Single(x.Graph, new CropNode(x.Graph.OpName("crop"), x, top, left), shape);
    }

    /// <summary><c>torch.flatten(x, 1)</c>.</summary>
    public static Node Flatten(this Node x) =>
        Single(x.Graph, new ReshapeNode(x.Graph.OpName("flatten"), x), new Shape(x.Shape[0], (int)(x.Shape.Numel / x.Shape[0])));

    /// <summary><c>x.reshape(shape)</c> to a shape with the same element count (a copy in the graph).</summary>
    public static Node Reshape(this Node x, params int[] shape)
    {
        var target = new Shape(shape);
        if (target.Numel != x.Shape.Numel)
            throw new ArgumentException($"{x.Graph.OpName("reshape")}: cannot reshape {x.Shape} ({x.Shape.Numel} elements) to {target} ({target.Numel} elements).");
        return Single(x.Graph, new ReshapeNode(x.Graph.OpName("reshape"), x), target);
    }

    /// <summary>
    /// Cross-entropy of logits against int32 targets, as PyTorch's <c>cross_entropy</c> (mean
    /// reduction): targets equal to <paramref name="ignoreIndex"/> left out, optional class
    /// <paramref name="weight"/> (<c>[C]</c>, the mean divides by the counted targets' weights) and
    /// <paramref name="labelSmoothing"/> in [0, 1]; a scalar.
    /// </summary>
    public static Node CrossEntropy(this Node logits, Node targets, int ignoreIndex = CrossEntropyOp.DefaultIgnoreIndex, float[]? weight = null, float labelSmoothing = 0f)
    {
        string op = logits.Graph.OpName("cross_entropy");
        if (targets.Kind != ValueKind.Int)
            throw new ArgumentException($"{op}: targets must be int32, got {targets}.");
        var expected = CrossEntropyOp.TargetShape(op, logits.Shape);
        if (targets.Shape != expected)
            throw new ArgumentException($"{op}: targets must be {expected} for logits {logits.Shape}, got {targets.Shape}.");
        CrossEntropyOp.CheckOptions(op, logits.Shape[1], weight is null ? null : new Shape(weight.Length), labelSmoothing);
        var g = logits.Graph;
        return g.Add(new CrossEntropyNode(g.OpName("cross_entropy"), logits, targets, ignoreIndex, weight?.ToArray(), labelSmoothing),
            (new Shape(), ValueKind.Float), (new Shape(), ValueKind.Float))[0];
    }

    /// <summary><c>binary_cross_entropy_with_logits(x, target, reduction)</c>; a scalar.</summary>
    public static Node BinaryCrossEntropyWithLogits(this Node x, Node target, LossReduction reduction = LossReduction.Mean) =>
        PointwiseLoss(x, target, Ops.Losses.ElementwiseLoss.BinaryCrossEntropyWithLogits, reduction, "bce_with_logits");

    /// <summary><c>mse_loss(x, target, reduction)</c>; a scalar.</summary>
    public static Node MseLoss(this Node x, Node target, LossReduction reduction = LossReduction.Mean) =>
        PointwiseLoss(x, target, Ops.Losses.ElementwiseLoss.MseLoss, reduction, "mse_loss");

    /// <summary><c>l1_loss(x, target, reduction)</c>; a scalar.</summary>
    public static Node L1Loss(this Node x, Node target, LossReduction reduction = LossReduction.Mean) =>
        PointwiseLoss(x, target, Ops.Losses.ElementwiseLoss.L1Loss, reduction, "l1_loss");

    /// <summary>The L1 norm <c>sum |x|</c>, reduced (per example by default): a sparse autoencoder's penalty on its code; a scalar.</summary>
    public static Node L1Norm(this Node x, LossReduction reduction = LossReduction.BatchMean) =>
        Single(x.Graph, new L1NormNode(x.Graph.OpName("l1_norm"), x, reduction), new Shape());

    /// <summary>
    /// The contractive penalty of a sigmoid encoder layer: <paramref name="code"/> is
    /// <c>sigmoid(x W^T + b)</c> <c>[N, J]</c> and <paramref name="weight"/> its layer's <c>W [J, I]</c>;
    /// the squared Frobenius norm of dcode/dx, reduced (per example by default); a scalar.
    /// </summary>
    public static Node ContractivePenalty(this Node code, Parameter weight, LossReduction reduction = LossReduction.BatchMean)
    {
        ArgumentNullException.ThrowIfNull(weight);
        string op = code.Graph.OpName("contractive");
        ContractivePenaltyOp.CheckShapes(op, code.Shape, weight.Shape);
        return Single(code.Graph, new ContractivePenaltyNode(op, code, weight, reduction), new Shape());
    }

    /// <summary>
    /// Corrupts <paramref name="x"/> in training graphs (the identity in evaluation): Gaussian noise of
    /// standard deviation <paramref name="level"/>, or masking noise zeroing a fraction <paramref name="level"/>.
    /// </summary>
    public static Node AddNoise(this Node x, NoiseKind kind, float level)
    {
        string op = x.Graph.OpName("noise");
        NoiseOp.CheckLevel(op, kind, level);
        return Single(x.Graph, new NoiseNode(op, x, kind, level), x.Shape);
    }

    /// <summary>The VAE's KL term; a scalar (per image by default).</summary>
    public static Node GaussianKl(Node mu, Node logVar, LossReduction reduction = LossReduction.BatchMean)
    {
        if (mu.Shape != logVar.Shape)
            throw new ArgumentException($"{mu.Graph.OpName("kl")}: mu {mu.Shape} and logvar {logVar.Shape} differ.");
        return Single(mu.Graph, new GaussianKlNode(mu.Graph.OpName("kl"), mu, logVar, reduction), new Shape());
    }

    /// <summary>Soft Dice loss on probabilities; a scalar.</summary>
    public static Node DiceLoss(this Node probabilities, Node target, float smooth = 1f)
    {
        if (probabilities.Shape != target.Shape)
            throw new ArgumentException($"{probabilities.Graph.OpName("dice")}: probabilities {probabilities.Shape} and target {target.Shape} differ.");
        return Single(probabilities.Graph, new DiceLossNode(probabilities.Graph.OpName("dice"), probabilities, target, smooth), new Shape());
    }

    /// <summary><c>z = mu + exp(logvar / 2) * eps</c> with eps drawn on the device in training (0 in evaluation).</summary>
    public static Node Reparameterize(Node mu, Node logVar)
    {
        if (mu.Shape != logVar.Shape)
            throw new ArgumentException($"{mu.Graph.OpName("reparameterize")}: mu {mu.Shape} and logvar {logVar.Shape} differ.");
        var g = mu.Graph;
        return g.Add(new ReparameterizeNode(g.OpName("reparameterize"), mu, logVar), (mu.Shape, ValueKind.Float), (mu.Shape, ValueKind.Float))[0];
    }

    private static Node PointwiseLoss(Node x, Node target, ElementwiseLoss kind, LossReduction reduction, string name)
    {
        if (x.Shape != target.Shape)
            throw new ArgumentException($"{x.Graph.OpName(name)}: input {x.Shape} and target {target.Shape} differ.");
        return Single(x.Graph, new ElementwiseLossNode(x.Graph.OpName(name), kind, x, target, reduction), new Shape());
    }

    private static Node Activation(Node x, ActivationKind kind, float slope = 0.01f) =>
        Single(x.Graph, new ActivationNode(x.Graph.OpName(kind.ToString().ToLowerInvariant()), kind, x, slope), x.Shape);

    private static Node Single(GraphBuilder graph, GraphOp op, Shape shape) => graph.Add(op, (shape, ValueKind.Float))[0];
}
