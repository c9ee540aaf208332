using Engine.Devices;
using Engine.Tensors;

namespace Engine.Ops;

/// <summary>Argument checks shared by the ops; every message names the offending values.</summary>
internal static class Check
{
    /// <summary>All tensors are alive and on <paramref name="device"/>.</summary>
    internal static void SameDevice(string op, ComputeDevice device, params DeviceTensor[] tensors)
    {
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            ObjectDisposedException.ThrowIf(t.IsDisposed, t);
            if (!ReferenceEquals(t.Device, device))
                throw new ArgumentException($"{op}: tensors are on different devices ({device.Name} and {t.Device.Name}).");
        }
    }

    /// <summary>The element count fits one launch (ILGPU's 32-bit index).</summary>
    internal static int LaunchSize(string op, long count)
    {
        if (count > int.MaxValue)
            throw new ArgumentException($"{op}: {count} elements exceed the {int.MaxValue} work-items of one launch.");
        return (int)count;
    }

    /// <summary>Two shapes are equal.</summary>
    internal static void SameShape(string op, string nameA, Shape a, string nameB, Shape b)
    {
        if (a != b)
            throw new ArgumentException($"{op}: {nameA} has shape {a} but {nameB} has shape {b}; they must match.");
    }
}
