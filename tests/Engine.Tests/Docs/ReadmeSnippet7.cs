using Engine.Models;
using Engine.Tensors;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 7, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet7
{
    internal static string Run(Engine.Devices.ComputeDevice device, Engine.Graph.Node x)
    {
        #region readme
        var resnet = ResNet.ResNet18();            // torchvision's: 11,689,512 parameters, torchvision names and init
        var residual = ResNet.ResNet50(zeroInitResidual: true);                  // torchvision's zero_init_residual
        var small = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true);   // 28x28 / 32x32 inputs
        var unet = new UNet();                     // the paper's: 572x572x1 -> 388x388x2, 31,030,658 parameters
        var padded = new UNet(padded: true, batchNorm: true, baseWidth: 32, depth: 3,
                              upsampling: UNetUpsampling.MaxUnpool);   // or Bilinear, Nearest, BedOfNails, TransposedConvolution
        var deeplab = new DeepLabV3(classes: 21);  // torchvision's deeplabv3_resnet50: 39,638,869 parameters, its names
        var light = new DeepLabV3(classes: 3, width: 16, outputStride: 16, rates: [6, 12, 18], headChannels: 64);
        var vae = new Vae(latent: 20);             // conv encoder, reparameterised z, transposed-conv decoder
        var graph = vae.Build(x, VaeReconstruction.Bernoulli, beta: 1f);         // graph.Loss: negative ELBO per image
        var ae = new Autoencoder(AutoencoderKind.Contractive, code: 32);         // or Plain, Denoising, Sparse
        var aeGraph = ae.Build(x, penaltyWeight: 0.1f);                         // ||x - x̂||² per image + λ ||J||_F²
        Console.WriteLine(ModelSummary.Create(resnet, device, new Shape(1, 3, 224, 224)));
        #endregion
        return "";
    }
}
