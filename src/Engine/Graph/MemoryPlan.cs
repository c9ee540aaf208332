namespace Engine.Graph;

/// <summary>
/// Which buffer ("slot") holds each value of a compiled graph. Values are activations, saved
/// tensors and activation gradients, each with a lifetime on the step's timeline (forward op i
/// at time i, the loss gradient seeded at F, backward of op i at 2F - i). Two values share a slot
/// only when one dies strictly before the other is born.
/// </summary>
public sealed class MemoryPlan
{
    /// <summary>One planned value.</summary>
    /// <param name="Name">What it is (node name, or "grad of" it).</param>
    /// <param name="Elements">Element count.</param>
    /// <param name="Kind">Float or int.</param>
    /// <param name="Birth">Time it is first written.</param>
    /// <param name="Death">Time it is last read.</param>
    public sealed record Value(string Name, long Elements, ValueKind Kind, int Birth, int Death)
    {
        /// <summary>Index of the slot it lives in.</summary>
        public int Slot { get; internal set; } = -1;
    }

    /// <summary>One buffer: its kind and capacity in elements.</summary>
    public sealed record SlotInfo(ValueKind Kind, long Capacity);

    internal MemoryPlan(IReadOnlyList<Value> values, IReadOnlyList<SlotInfo> slots)
    {
        Values = values;
        Slots = slots;
    }

    /// <summary>Every planned value.</summary>
    public IReadOnlyList<Value> Values { get; }

    /// <summary>The buffers.</summary>
    public IReadOnlyList<SlotInfo> Slots { get; }

    /// <summary>Bytes of all buffers (4 bytes per float or int element).</summary>
    public long PlannedBytes => Slots.Sum(s => s.Capacity) * 4;

    /// <summary>
    /// The most bytes an op allocates for a while beyond the buffers, as the device it was planned
    /// for runs it (columns, partial sums, a loss's terms; see <see cref="GraphOp.ForwardWorkspace"/>):
    /// ops run one at a time, so the largest is what the graph needs beside its buffers.
    /// </summary>
    public long WorkspaceBytes { get; internal set; }

    /// <summary>What a run of the graph holds at its peak: the buffers and the largest workspace.</summary>
    public long PeakBytes => PlannedBytes + WorkspaceBytes;

    /// <summary>Bytes if every value had a buffer of its own.</summary>
    public long NaiveBytes => Values.Sum(v => v.Elements) * 4;

    /// <summary>
    /// Assigns values to slots greedily in order of birth: a free slot of the same kind that fits
    /// best, else the largest free one (grown), else a new one. Without reuse each value gets a slot.
    /// </summary>
    internal static MemoryPlan Create(IReadOnlyList<Value> values, bool reuse)
    {
        var slots = new List<(ValueKind Kind, long Capacity, int FreeAfter)>();
        foreach (var value in values.OrderBy(v => v.Birth).ThenBy(v => v.Death))
        {
            int chosen = -1;
            if (reuse)
            {
                for (int s = 0; s < slots.Count; s++)
                {
                    var slot = slots[s];
                    if (slot.Kind != value.Kind || slot.FreeAfter >= value.Birth)
                        continue;
                    if (chosen < 0 || Better(slot.Capacity, slots[chosen].Capacity, value.Elements))
                        chosen = s;
                }
            }
            if (chosen < 0)
            {
                slots.Add((value.Kind, value.Elements, value.Death));
                value.Slot = slots.Count - 1;
            }
            else
            {
                var slot = slots[chosen];
                slots[chosen] = (slot.Kind, Math.Max(slot.Capacity, value.Elements), value.Death);
                value.Slot = chosen;
            }
        }
        return new MemoryPlan(values, slots.Select(s => new SlotInfo(s.Kind, s.Capacity)).ToList());
    }

    /// <summary>Prefers the smallest slot that fits; among slots that do not fit, the largest.</summary>
    private static bool Better(long candidate, long current, long need)
    {
        bool candidateFits = candidate >= need, currentFits = current >= need;
        if (candidateFits != currentFits)
            return candidateFits;
        return candidateFits ? candidate < current : candidate > current;
    }

    /// <summary>A one-line summary: values, slots, planned and naive bytes.</summary>
    public override string ToString() =>
        $"{Values.Count} values in {Slots.Count} buffers: {PlannedBytes / 1048576.0:0.00} MiB planned, {NaiveBytes / 1048576.0:0.00} MiB naive";
}
