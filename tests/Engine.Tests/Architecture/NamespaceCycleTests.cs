using System.Reflection;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Architecture;

/// <summary>
/// No namespace of the engine's assemblies uses, through any chain, a namespace that uses it back:
/// each folder (namespace) can be read and moved with only the ones below it. Measured on the
/// compiled assemblies (<see cref="TypeDependencies"/>), so a dependency hidden in a method body,
/// a lambda or a fully qualified name counts as much as a <c>using</c> line.
/// </summary>
[DeviceIndependent("It reads the compiled assemblies' metadata; nothing runs on the device.")]
public sealed class NamespaceCycleTests
{
    public static TheoryData<string> Assemblies() =>
    [
        typeof(Engine.Tensors.Tensor).Assembly.Location,
        typeof(Engine.Kernels.Normalization.BatchNormKernels).Assembly.Location,
        typeof(Engine.Models.Vae).Assembly.Location,
        typeof(Engine.Training.DataFingerprint).Assembly.Location,
        typeof(Engine.Onnx.OnnxExport).Assembly.Location,
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void NamespacesFormNoCycle(string assembly)
    {
        // A folder and its subfolders are one layer: Graph/Nodes holds the graph's node types, which
        // the graph builds and runs (Graph <-> Graph.Nodes, and Ops <-> Ops.Activation, are inside one layer).
        string root = Path.GetFileNameWithoutExtension(assembly);
        var cycles = NamespaceGraph.FromTypes(TypeDependencies.Read(assembly), ns => NamespaceGraph.TopFolder(ns, root)).Cycles();
        Assert.True(cycles.Count == 0,
            $"{Path.GetFileName(assembly)} has {cycles.Count} namespace cycle(s):\n  {string.Join("\n  ", cycles)}");
    }

    [Fact]
    public void TheDetectorNamesACycleWithAnExampleEdgeAndPassesADag()
    {
        var acyclic = NamespaceGraph.FromTypes([("A.X", "B.Y"), ("B.Y", "C.Z"), ("A.X", "C.Z"), ("A.W", "A.X")]);
        Assert.Empty(acyclic.Cycles());

        // C closes A -> B -> C -> A; D only hangs off it.
        var cyclic = NamespaceGraph.FromTypes([("A.X", "B.Y"), ("B.Y", "C.Z"), ("C.Z", "A.W"), ("C.V", "D.U")]);
        Assert.Equal(["A -> B -> C -> A: A.X uses B.Y; B.Y uses C.Z; C.Z uses A.W"], cyclic.Cycles());

        // Two cycles through A; the shortest is named, the component listed whole.
        var two = NamespaceGraph.FromTypes([("A.X", "B.Y"), ("B.Y", "A.X"), ("A.X", "C.Z"), ("C.Z", "D.U"), ("D.U", "A.W")]);
        Assert.Equal(["A -> B -> A: A.X uses B.Y; B.Y uses A.X (all in the cycle: A, B, C, D)"], two.Cycles());
    }

    [Fact]
    public void AFolderAndItsSubfoldersAreOneLayerWhenAsked()
    {
        (string, string)[] uses = [("Engine.Graph.Builder", "Engine.Graph.Nodes.Add"), ("Engine.Graph.Nodes.Add", "Engine.Graph.Node")];
        Assert.Single(NamespaceGraph.FromTypes(uses).Cycles());
        Assert.Empty(NamespaceGraph.FromTypes(uses, ns => NamespaceGraph.TopFolder(ns, "Engine")).Cycles());
        Assert.Equal("Engine.Graph", NamespaceGraph.TopFolder("Engine.Graph.Nodes", "Engine"));
        Assert.Equal("Engine.Kernels.Blas", NamespaceGraph.TopFolder("Engine.Kernels.Blas", "Engine.Kernels"));
        Assert.Equal("Engine", NamespaceGraph.TopFolder("Engine", "Engine"));
        Assert.Equal("System.Text", NamespaceGraph.TopFolder("System.Text", "Engine"));
    }

    [Fact]
    public void TheReaderSeesUsesThatOnlyMethodBodiesAndLambdasMake()
    {
        // This class names the graph and the reader only inside method bodies, the IL reader only in a
        // nested class's lambda (which counts for this class), and the infrastructure only in an attribute.
        var uses = TypeDependencies.Read(typeof(NamespaceCycleTests).Assembly.Location);
        string self = typeof(NamespaceCycleTests).FullName!;
        Assert.Contains((self, typeof(NamespaceGraph).FullName!), uses);
        Assert.Contains((self, typeof(TypeDependencies).FullName!), uses);
        Assert.Contains((self, typeof(IlTokens).FullName!), uses);
        Assert.True(NamespaceGraph.FromTypes(uses).Uses("Engine.Tests.Architecture", "Engine.Tests.Infrastructure"));
    }

    private static class LambdaOnly
    {
        public static Func<int> Count => () => IlTokens.Read(default!).Count;
    }
}
