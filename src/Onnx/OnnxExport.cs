using Engine.Devices;
using Engine.Graph;
using Engine.IO;
using Engine.Tensors;
using Google.Protobuf;
using Onnx;

namespace Engine.Onnx;

/// <summary>
/// Exports a model's evaluation graph to ONNX (opset <see cref="Opset"/>): the model is traced once
/// on an input of the given shape in evaluation mode (batch norm with its running statistics,
/// dropout off), each graph op becomes the ONNX operators that compute it (<see cref="OnnxGraphWriter"/>)
/// and the parameters and buffers become initializers. The batch dimension is symbolic
/// (<c>N</c>), so the file runs at any batch size.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set written.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version that goes with <see cref="Opset"/>.</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// The ONNX model of <paramref name="forward"/> applied to an input of <paramref name="inputShape"/>
    /// (whose first dimension, the batch, becomes symbolic). The model's parameters must be
    /// initialised on <paramref name="device"/>; their values are read from it.
    /// </summary>
    /// <exception cref="NotSupportedException">The graph holds an op ONNX export does not cover; the message names it.</exception>
    public static ModelProto Export(ComputeDevice device, Shape inputShape, Func<Node, Node> forward, string inputName = "input", string outputName = "output")
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(forward);
        if (inputShape.Rank < 2)
            throw new ArgumentException($"ONNX export: the input must have a batch dimension and at least one more, got {inputShape}.", nameof(inputShape));
        var g = new GraphBuilder(device, training: false);
        var input = g.Input(inputName, inputShape);
        var output = forward(input);
        var graph = new OnnxGraphWriter(g, input, output, inputName, outputName).Write();
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "IlgpuEngine",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    /// <summary>The serialised bytes of <see cref="Export"/>.</summary>
    public static byte[] ExportBytes(ComputeDevice device, Shape inputShape, Func<Node, Node> forward, string inputName = "input", string outputName = "output") =>
        Export(device, inputShape, forward, inputName, outputName).ToByteArray();

    /// <summary>Writes <see cref="Export"/> to <paramref name="path"/> atomically (never over anything but a regular file).</summary>
    public static void Save(string path, ComputeDevice device, Shape inputShape, Func<Node, Node> forward, string inputName = "input", string outputName = "output")
    {
        AtomicFile.CheckTarget(path);
        byte[] bytes = ExportBytes(device, inputShape, forward, inputName, outputName);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
