using Engine.Ops.Normalization;

namespace Engine.Graph.Nodes;

/// <summary>
/// batch_norm node with three outputs: y, and the mean and 1/std it used (saved for backward).
/// In training it updates the running statistics and counts the batch; with a communicator
/// (<see cref="Modules.Layers.BatchNorm2d.Synchronization"/>) its training statistics span every
/// rank's batch (<see cref="SyncBatchNormOp"/>).
/// </summary>
public sealed class BatchNorm2dNode : GraphOp, IReluFusable
{
    private readonly Parameter _weight, _bias;
    private readonly StateTensor _runningMean, _runningVar;
    private readonly Action _countBatch;
    private readonly float _momentum, _eps;
    private readonly IRankGroup? _synchronization;

    /// <summary>Creates the node over the module's state; <paramref name="countBatch"/> increments num_batches_tracked.</summary>
    public BatchNorm2dNode(string name, Node x, Parameter weight, Parameter bias, StateTensor runningMean, StateTensor runningVar,
        float momentum, float eps, Action countBatch, IRankGroup? synchronization = null) : base(name, x)
    {
        _synchronization = synchronization;
        _weight = weight;
        _bias = bias;
        _runningMean = runningMean;
        _runningVar = runningVar;
        _momentum = momentum;
        _eps = eps;
        _countBatch = countBatch;
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [_weight, _bias];

    /// <summary>The affine weight (gamma) and bias (beta), and the running mean and variance evaluation uses.</summary>
    public (Parameter Weight, Parameter Bias, StateTensor RunningMean, StateTensor RunningVar) State => (_weight, _bias, _runningMean, _runningVar);

    /// <summary>The epsilon added to the variance.</summary>
    public float Eps => _eps;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Outputs[1], Outputs[2]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        if (c.Training && _synchronization is not null)
        {
            SyncBatchNormOp.Forward(_synchronization, c.Value(Inputs[0]), c.Value(Outputs[0]), null, _weight.Value, _bias.Value,
                _runningMean.Value, _runningVar.Value, c.Value(Outputs[1]), c.Value(Outputs[2]), _momentum, _eps);
            _countBatch();
            return;
        }
        BatchNorm2dOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]), _weight.Value, _bias.Value, _runningMean.Value, _runningVar.Value,
            c.Value(Outputs[1]), c.Value(Outputs[2]), c.Training, _momentum, _eps);
        if (c.Training)
            _countBatch();
    }

    /// <inheritdoc/>
    public bool FusesRelu => true;

    /// <inheritdoc/>
    public void ForwardRelu(ExecutionContext c, Tensors.Tensor activated)
    {
        if (c.Training && _synchronization is not null)
        {
            SyncBatchNormOp.Forward(_synchronization, c.Value(Inputs[0]), c.Value(Outputs[0]), activated, _weight.Value, _bias.Value,
                _runningMean.Value, _runningVar.Value, c.Value(Outputs[1]), c.Value(Outputs[2]), _momentum, _eps);
            _countBatch();
            return;
        }
        BatchNorm2dOp.ForwardRelu(c.Value(Inputs[0]), c.Value(Outputs[0]), activated, _weight.Value, _bias.Value, _runningMean.Value, _runningVar.Value,
            c.Value(Outputs[1]), c.Value(Outputs[2]), c.Training, _momentum, _eps);
        if (c.Training)
            _countBatch();
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        var dy = c.Grad(Outputs[0])!;
        if (c.Training && _synchronization is not null)
        {
            SyncBatchNormOp.Backward(_synchronization, c.Value(Inputs[0]), dy, _weight.Value, c.Value(Outputs[1]), c.Value(Outputs[2]), dx,
                _weight.RequiresGrad ? _weight.Grad : null, _bias.RequiresGrad ? _bias.Grad : null, accumulate, accumulateParameters: true);
            return;
        }
        BatchNorm2dOp.Backward(c.Value(Inputs[0]), dy, _weight.Value, c.Value(Outputs[1]), c.Value(Outputs[2]), c.Training, dx,
            _weight.RequiresGrad ? _weight.Grad : null, _bias.RequiresGrad ? _bias.Grad : null, accumulate, accumulateParameters: true);
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) =>
        training ? BatchNorm2dOp.StatisticsWorkspace(device, Inputs[0].Shape) + (_synchronization is null ? 0 : 16L * Inputs[0].Shape[1]) : 0;

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) =>
        BatchNorm2dOp.BackwardWorkspace(device, Inputs[0].Shape) + (_synchronization is null ? 0 : 16L * Inputs[0].Shape[1]);
}
