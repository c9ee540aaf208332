using System.CommandLine;
using Engine.Cli.Commands;

var root = new RootCommand("Engine: a deep-learning compute engine for .NET on ILGPU (CUDA, OpenCL, CPU).")
{
    DevicesCommand.Create(),
    SelfCheckCommand.Create(),
    SummaryCommand.Create(),
    PredictCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
    SampleCommand.Create(),
    SegmentCommand.Create(),
};
return root.Parse(args).Invoke();
