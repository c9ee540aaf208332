namespace Engine.Devices;

/// <summary>One kernel launch in a <see cref="LaunchProfile"/>: the kernel, its work-items and the FLOPs it declared (0 when it declares none).</summary>
public readonly record struct LaunchRecord(string Kernel, long WorkItems, double Flops);
