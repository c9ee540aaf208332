namespace Engine.Ops;

/// <summary>Small helpers shared by the ops' launch code.</summary>
internal static class Launch
{
    /// <summary>1 for true, 0 for false: kernels take flags as ints.</summary>
    internal static int Flag(bool value) => value ? 1 : 0;
}
