namespace Engine;

/// <summary>
/// PyTorch-style functional ops (<c>torch.nn.functional</c>): each validates its arguments,
/// allocates its result on the input's device and launches kernels. Each op's backward sits
/// beside it in the same file and returns fresh gradient tensors; the graph executor uses the
/// spec-based <c>*Op</c> classes, which write into planned buffers.
/// </summary>
public static partial class Functional
{
}
