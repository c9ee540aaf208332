using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Ops;

/// <summary>
/// Copies, clears and adds short rows (an image row of 7 to a few hundred floats) with vector
/// loads and stores: at these lengths a span call's fixed cost is most of the work. A copy covers
/// its tail with one more vector that overlaps the last full one.
/// </summary>
internal static unsafe class HostRows
{
    /// <summary><c>target[0..n) = source[0..n)</c> (the two must not overlap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Copy(float* target, float* source, int n)
    {
        if (n >= 16 && Vector512.IsHardwareAccelerated)
        {
            int i = 0;
            for (; i + 16 <= n; i += 16)
                Vector512.Load(source + i).Store(target + i);
            if (i < n)
                Vector512.Load(source + n - 16).Store(target + n - 16);
        }
        else if (n >= 8)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8)
                Vector256.Load(source + i).Store(target + i);
            if (i < n)
                Vector256.Load(source + n - 8).Store(target + n - 8);
        }
        else
        {
            for (int i = 0; i < n; i++)
                target[i] = source[i];
        }
    }

    /// <summary><c>target[0..n) = 0</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Clear(float* target, int n)
    {
        if (n >= 8)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8)
                Vector256<float>.Zero.Store(target + i);
            if (i < n)
                Vector256<float>.Zero.Store(target + n - 8);
        }
        else
        {
            for (int i = 0; i < n; i++)
                target[i] = 0f;
        }
    }

    /// <summary><c>target[0..n) += source[0..n)</c>, one add per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Add(float* target, float* source, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
            (Vector256.Load(target + i) + Vector256.Load(source + i)).Store(target + i);
        for (; i < n; i++)
            target[i] += source[i];
    }
}
