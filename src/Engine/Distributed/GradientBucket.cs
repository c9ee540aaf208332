using Engine.Graph;

namespace Engine.Distributed;

/// <summary>
/// Parameters whose gradients are all-reduced together: consecutive in the order their gradients
/// become final in the backward pass, so the bucket is ready the moment its last one is. Its
/// <see cref="Ranges"/> are where those gradients lie in the model's flat gradient buffer, in
/// buffer order, neighbours merged: parameters that are final in reverse registration order, as
/// most are, make one range.
/// </summary>
/// <param name="Parameters">The bucket's parameters, in the order their gradients become final.</param>
/// <param name="Ranges">Element ranges of the flat gradient buffer, ascending and disjoint.</param>
internal sealed record GradientBucket(IReadOnlyList<Parameter> Parameters, IReadOnlyList<(long Start, long Length)> Ranges)
{
    /// <summary>Elements in the bucket.</summary>
    public long Count => Ranges.Sum(r => r.Length);

    /// <summary>
    /// Cuts <paramref name="order"/> (parameters with their offsets in the flat buffer, in the order
    /// their gradients become final) into buckets of at most <paramref name="firstCapacity"/>
    /// elements for the first and <paramref name="capacity"/> for the others, as PyTorch's DDP does
    /// (1 MiB, then 25 MiB: the first exchange starts early); a parameter larger than that is a
    /// bucket of its own.
    /// </summary>
    public static List<GradientBucket> Form(IReadOnlyList<(Parameter Parameter, long Offset)> order, long firstCapacity, long capacity)
    {
        if (firstCapacity < 1 || capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), "A bucket holds at least one element.");
        var buckets = new List<GradientBucket>();
        var current = new List<(Parameter Parameter, long Offset)>();
        long filled = 0;
        foreach (var entry in order)
        {
            long size = entry.Parameter.Shape.Numel;
            if (current.Count > 0 && filled + size > (buckets.Count == 0 ? firstCapacity : capacity))
            {
                buckets.Add(Make(current));
                current.Clear();
                filled = 0;
            }
            current.Add(entry);
            filled += size;
        }
        if (current.Count > 0)
            buckets.Add(Make(current));
        return buckets;
    }

    private static GradientBucket Make(List<(Parameter Parameter, long Offset)> entries)
    {
        var ranges = new List<(long Start, long Length)>();
        foreach (var (parameter, offset) in entries.OrderBy(e => e.Offset))
        {
            long length = parameter.Shape.Numel;
            if (ranges.Count > 0 && ranges[^1].Start + ranges[^1].Length == offset)
                ranges[^1] = (ranges[^1].Start, ranges[^1].Length + length);
            else
                ranges.Add((offset, length));
        }
        return new GradientBucket(entries.Select(e => e.Parameter).ToArray(), ranges);
    }
}
