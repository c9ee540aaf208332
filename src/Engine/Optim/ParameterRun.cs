using ILGPU;

namespace Engine.Optim;

/// <summary>
/// Parameters <c>[First, First + Count)</c> of an optimiser whose values, and whose gradients, lie
/// side by side in memory (a module's flat buffers): one launch updates them all. <c>Offset</c> is
/// where the run starts in the optimiser's own flat state (moments, momentum buffers). A run lies
/// within one parameter group (<c>Group</c>), whose rate and decay its launch takes.
/// </summary>
internal readonly record struct ParameterRun(int First, int Count, long Offset, int Length, ArrayView<float> Values, ArrayView<float> Grads, int Group);
