using Engine.Ops.Layout;
using Engine.Tensors;

namespace Engine;

public static partial class Functional
{
    /// <summary><c>torch.cat(tensors, dim=1)</c> for <c>[N, C_i, ...]</c> tensors equal outside dim 1.</summary>
    public static Tensor Concat(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var shape = ConcatOp.OutputShape(tensors.Select(t => t.Shape).ToList());
        var y = Tensor.Empty(tensors[0].Device, shape);
        return Guard(y, () => ConcatOp.Forward(tensors, y));
    }

    /// <summary>Gradients of <see cref="Concat"/>: dy sliced back into parts of the given channel counts.</summary>
    public static Tensor[] ConcatBackward(Tensor gradOutput, params int[] channels)
    {
        var grads = new List<Tensor>();
        try
        {
            foreach (int c in channels)
            {
                var dims = gradOutput.Shape.ToArray();
                dims[1] = c;
                grads.Add(Tensor.Empty(gradOutput.Device, dims));
            }
            ConcatOp.Backward(gradOutput, grads, channels);
            return [.. grads];
        }
        catch
        {
            grads.ForEach(g => g.Dispose());
            throw;
        }
    }

    /// <summary>Centre crop of the last two dims to <paramref name="height"/> x <paramref name="width"/> (torchvision's placement).</summary>
    public static Tensor CenterCrop(Tensor input, int height, int width)
    {
        var (_, top, left) = CropOp.Centre(input.Shape, height, width);
        return Crop(input, height, width, top, left);
    }

    /// <summary>Input gradient of <see cref="CenterCrop"/>.</summary>
    public static Tensor CenterCropBackward(Tensor gradOutput, Shape inputShape)
    {
        var (_, top, left) = CropOp.Centre(inputShape, gradOutput.Shape[-2], gradOutput.Shape[-1]);
        return CropBackward(gradOutput, inputShape, top, left);
    }

    /// <summary>The <paramref name="height"/> x <paramref name="width"/> window of the last two dims at (<paramref name="top"/>, <paramref name="left"/>) (Caffe's <c>Crop</c>).</summary>
    public static Tensor Crop(Tensor input, int height, int width, int top, int left)
    {
        var shape = CropOp.Plan(input.Shape, height, width, top, left);
        var y = Tensor.Empty(input.Device, shape);
        return Guard(y, () => CropOp.Forward(input, y, top, left));
    }

    /// <summary>Input gradient of <see cref="Crop"/>: the output gradient inside the window, 0 outside.</summary>
    public static Tensor CropBackward(Tensor gradOutput, Shape inputShape, int top, int left)
    {
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => CropOp.Backward(gradOutput, dx, top, left));
    }

    /// <summary><c>a + b</c> (same shapes); its gradient passes dy to both inputs unchanged.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = Tensor.Empty(a.Device, a.Shape);
        return Guard(y, () => AddOp.Forward(a, b, y));
    }

    /// <summary><c>torch.flatten(x, 1)</c>: <c>[N, ...]</c> to <c>[N, rest]</c>, a view sharing x's memory.</summary>
    public static Tensor Flatten(Tensor input)
    {
        if (input.Shape.Rank < 1)
            throw new ArgumentException($"Flatten: input must have a batch dimension, got {input.Shape}.", nameof(input));
        return input.Reshape(input.Shape[0], (int)(input.Numel / input.Shape[0]));
    }
}
