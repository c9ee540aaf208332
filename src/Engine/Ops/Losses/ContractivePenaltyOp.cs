using Engine.Kernels.Losses;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// The contractive autoencoder's penalty (Rifai et al. 2011): for a sigmoid encoder layer
/// <c>h = sigmoid(x W^T + b)</c> with <c>h [N, J]</c> and <c>W [J, I]</c>, the squared Frobenius
/// norm of the Jacobian <c>dh/dx</c>, <c>||J||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ji^2</c> per
/// example, summed over the batch and reduced (per example by default). Every sum is a
/// fixed-order reduction, so every backend computes the same value.
/// </summary>
public static class ContractivePenaltyOp
{
    /// <summary>Checks that <paramref name="code"/> is <c>[N, J]</c> and <paramref name="weight"/> <c>[J, I]</c>.</summary>
    public static void CheckShapes(string op, Shape code, Shape weight)
    {
        if (code.Rank != 2 || weight.Rank != 2 || code[1] != weight[0])
            throw new ArgumentException($"{op}: the code must be [N, J] and the encoder weight [J, I] with the same J, got code {code} and weight {weight}.");
    }

    /// <summary>Writes the reduced penalty into the scalar <paramref name="loss"/>.</summary>
    public static void Forward(Tensor code, Tensor weight, Tensor loss, LossReduction reduction = LossReduction.BatchMean)
    {
        Check.SameDevice("ContractivePenalty", code.Device, code, weight, loss);
        CheckShapes("ContractivePenalty", code.Shape, weight.Shape);
        LossCore.CheckScalar(nameof(loss), loss);
        var device = code.Device;
        using var rowNorms = RowNorms(weight);
        using var slopes = Tensor.Empty(device, code.Shape);
        device.Kernel(ContractiveLoaders.SquaredSlopes)(Check.LaunchSize("ContractivePenalty", code.Numel), code.View, slopes.View);
        using var terms = Tensor.Empty(device, code.Shape);
        device.Kernel(ContractiveLoaders.Terms)(Check.LaunchSize("ContractivePenalty", code.Numel), slopes.View, rowNorms.View, terms.View, code.Shape[1]);
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, code.Shape));
        LossCore.Reduce(device, terms, divisor, loss);
    }

    /// <summary>
    /// <c>dCode (+)= s 2 h (1 - h)(1 - 2h) r_j</c> and <c>dWeight (+)= s 2 W_ji sum_n (h_nj (1 - h_nj))^2</c>
    /// with <c>s = dLoss / divisor</c>; either gradient may be null.
    /// </summary>
    public static void Backward(Tensor code, Tensor weight, Tensor dLoss, Tensor? dCode, Tensor? dWeight, LossReduction reduction = LossReduction.BatchMean,
        bool accumulateCode = false, bool accumulateWeight = false)
    {
        const string op = "ContractivePenalty backward";
        Check.SameDevice(op, code.Device, code, weight, dLoss);
        CheckShapes(op, code.Shape, weight.Shape);
        if (dCode is not null)
            Check.SameShape(op, "code gradient", dCode.Shape, "code", code.Shape);
        if (dWeight is not null)
            Check.SameShape(op, "weight gradient", dWeight.Shape, "weight", weight.Shape);
        var device = code.Device;
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, code.Shape));
        using var scale = LossCore.GradientScale(device, dLoss, divisor);
        if (dCode is not null)
        {
            using var rowNorms = RowNorms(weight);
            device.Kernel(ContractiveLoaders.CodeGradient)(Check.LaunchSize(op, code.Numel), code.View, rowNorms.View, scale.View, dCode.View, code.Shape[1], Launch.Flag(accumulateCode));
        }
        if (dWeight is not null)
        {
            using var slopes = Tensor.Empty(device, code.Shape);
            device.Kernel(ContractiveLoaders.SquaredSlopes)(Check.LaunchSize(op, code.Numel), code.View, slopes.View);
            using var slopeSums = Tensor.Empty(device, new Shape(code.Shape[1]));
            TensorOps.SumInto(slopes, 0, slopeSums);
            device.Kernel(ContractiveLoaders.WeightGradient)(Check.LaunchSize(op, weight.Numel), weight.View, slopeSums.View, scale.View, dWeight.View, weight.Shape[1], Launch.Flag(accumulateWeight));
        }
    }

    // r_j = sum_i W_ji^2, [J].
    private static Tensor RowNorms(Tensor weight)
    {
        var device = weight.Device;
        using var squares = Tensor.Empty(device, weight.Shape);
        device.Kernel(ContractiveLoaders.Squares)(Check.LaunchSize("ContractivePenalty", weight.Numel), weight.View, squares.View);
        var rowNorms = Tensor.Empty(device, new Shape(weight.Shape[0]));
        TensorOps.SumInto(squares, 1, rowNorms);
        return rowNorms;
    }
}
