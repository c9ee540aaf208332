using Engine.Devices;
using Engine.Kernels.Layout;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Layout;

/// <summary>Concatenation along channels (dim 1) of tensors <c>[N, C_i, ...]</c>, and its slicing backward.</summary>
public static class ConcatOp
{
    /// <summary>The shape of the concatenation, or an error naming the first mismatching part.</summary>
    public static Shape OutputShape(IReadOnlyList<Shape> parts)
    {
        if (parts.Count == 0)
            throw new ArgumentException("Concat: needs at least one tensor.", nameof(parts));
        var first = parts[0];
        if (first.Rank < 2)
            throw new ArgumentException($"Concat: tensors must be [N, C, ...], got {first}.", nameof(parts));
        int channels = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var s = parts[i];
            bool same = s.Rank == first.Rank && s[0] == first[0];
            for (int d = 2; same && d < s.Rank; d++)
                same = s[d] == first[d];
            if (!same)
                throw new ArgumentException($"Concat: tensor {i} has shape {s}, which differs from tensor 0's {first} outside dim 1.", nameof(parts));
            channels += s[1];
        }
        var dims = first.ToArray();
        dims[1] = channels;
        return new Shape(dims);
    }

    /// <summary>Copies each part into its channel slice of y.</summary>
    public static void Forward(IReadOnlyList<Tensor> parts, Tensor y)
    {
        const string op = "Concat";
        var shape = OutputShape(parts.Select(p => p.Shape).ToList());
        Check.SameDevice(op, y.Device, [.. parts, y]);
        Check.SameShape(op, "output", y.Shape, "the concatenation", shape);
        int plane = Check.LaunchSize(op, shape.Product(2, shape.Rank));
        int offset = 0;
        foreach (var part in parts)
        {
            if (y.Device.Paths.Host)
            {
                y.Device.Synchronize();
                LayoutHost.ChannelSlice(part.View, y.View, shape[0], part.Shape[1], shape[1], offset, plane, toSmall: false, accumulate: false);
            }
            else
                y.Device.Kernel(LayoutLoaders.ChannelSlice)(Check.LaunchSize(op, part.Numel), part.View, y.View, part.Shape[1], shape[1], offset, plane, 0, 0);
            offset += part.Shape[1];
        }
    }

    /// <summary>Copies one part (kernels only) into channels <c>[offset, offset + C)</c> of y.</summary>
    internal static void ForwardPart(Tensor part, Tensor y, int offset)
    {
        int plane = Check.LaunchSize("Concat", y.Shape.Product(2, y.Shape.Rank));
        y.Device.Kernel(LayoutLoaders.ChannelSlice)(Check.LaunchSize("Concat", part.Numel), part.View, y.View, part.Shape[1], y.Shape[1], offset, plane, 0, 0);
    }

    /// <summary>Slices dy back into the parts' gradients (null entries are skipped).</summary>
    public static void Backward(Tensor dy, IReadOnlyList<Tensor?> grads, IReadOnlyList<int> channels, bool accumulate = false)
    {
        const string op = "Concat backward";
        if (grads.Count != channels.Count)
            throw new ArgumentException($"{op}: {grads.Count} gradients for {channels.Count} parts.");
        if (channels.Sum() != dy.Shape[1])
            throw new ArgumentException($"{op}: part channels sum to {channels.Sum()}, but the output gradient {dy.Shape} has {dy.Shape[1]}.");
        int plane = Check.LaunchSize(op, dy.Shape.Product(2, dy.Shape.Rank));
        int offset = 0;
        for (int i = 0; i < grads.Count; i++)
        {
            if (grads[i] is Tensor g)
            {
                Check.SameDevice(op, dy.Device, g);
                var expected = dy.Shape.ToArray();
                expected[1] = channels[i];
                Check.SameShape(op, $"gradient {i}", g.Shape, "its slice", new Shape(expected));
                if (dy.Device.Paths.Host)
                {
                    dy.Device.Synchronize();
                    LayoutHost.ChannelSlice(g.View, dy.View, dy.Shape[0], channels[i], dy.Shape[1], offset, plane, toSmall: true, accumulate);
                }
                else
                    dy.Device.Kernel(LayoutLoaders.ChannelSlice)(Check.LaunchSize(op, g.Numel), g.View, dy.View, channels[i], dy.Shape[1], offset, plane, 1, Launch.Flag(accumulate));
            }
            offset += channels[i];
        }
    }
}
