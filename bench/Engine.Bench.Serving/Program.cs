using System.Globalization;
using Engine.Bench.Serving;
using Engine.Devices;
using Engine.Models;
using Engine.Onnx;
using Engine.Tensors;

// Serving a classifier under concurrent callers: the engine's Predictor beside ONNX Runtime 1.31.1
// on the same model, exported by the engine (OnnxExport). For 1, 4 and 16 callers, each sending its
// next request as soon as the last one is answered: requests and images a second, and the median
// and 99th-percentile latency. Two loads: requests of one image (a service answering single
// images) and requests of mixed sizes 1, 3, 8 and 16.
//
//   dotnet run --project bench/Engine.Bench.Serving -c Release [-- --seconds 5 --warmup 1 --callers 1,4,16]
//
// The model is the main job's (ResNet-18, small stem, width 8, 176,258 parameters, 1x28x28 inputs)
// with seeded weights: only speed is measured here, after checking that both give the same logits.
// ENGINE_DEVICE picks the engine's device (the CPU accelerator by default); ONNX Runtime runs on
// the CPU with as many intra-op threads as cores. About 80 s with the defaults.
double seconds = 5, warmUp = 1;
int[] callerCounts = [1, 4, 16];
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--warmup": warmUp = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--callers": callerCounts = args[++i].Split(',').Select(int.Parse).ToArray(); break;
        default:
            Console.Error.WriteLine($"Engine.Bench.Serving: unknown argument '{args[i]}' (give --seconds S, --warmup S, --callers 1,4,16)");
            return 2;
    }
}

using var device = ComputeDevice.OpenDefault();
var image = new Shape(1, 28, 28);
using var model = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true, width: 8);
model.Initialize(device, seed: 1);
byte[] onnx = OnnxExport.ExportBytes(device, new Shape(1, 1, 28, 28), x => model.Call(x));
var random = new Random(7);
float[] Images(int count) => Enumerable.Range(0, count * 784).Select(_ => (float)random.NextDouble()).ToArray();

Console.WriteLine($"model: ResNet-18 small stem width 8 ({model.ParameterCount:N0} parameters), input 1x28x28; ONNX {onnx.Length:N0} bytes");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; engine on {device.Name} ({device.Info.Name})");

using var engine = new EngineTarget(model, device, image, maxBatch: 16);
using var ort = new OrtTarget(onnx, [1, 28, 28]);
var check = Images(16);
float[] a = engine.Logits(check, 16), b = ort.Logits(check, 16);
double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), scale = a.Max(Math.Abs);
Console.WriteLine($"agreement: largest difference {worst:G3} against a largest logit {scale:G3} over 16 images");

Console.WriteLine();
Console.WriteLine($"{"target",-34} {"callers",7} {"sizes",9} {"requests/s",10} {"images/s",9} {"p50 ms",8} {"p99 ms",8} {"runs",6}");
foreach (int[] sizes in new[] { new[] { 1 }, new[] { 1, 3, 8, 16 } })
{
    foreach (int callers in callerCounts)
    {
        foreach (IServingTarget target in new IServingTarget[] { engine, ort })
        {
            var r = LoadRun.Run(target, callers, sizes, Images, TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"{r.Target,-34} {r.Callers,7} {r.Sizes,9} {r.RequestsPerSecond,10:F1} {r.ImagesPerSecond,9:F0} {r.Percentile(50),8:F2} {r.Percentile(99),8:F2} {(r.Runs < 0 ? "" : r.Runs.ToString(CultureInfo.InvariantCulture)),6}");
        }
    }
}
return 0;
