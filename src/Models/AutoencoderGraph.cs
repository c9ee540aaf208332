using Engine.Graph;

namespace Engine.Models;

/// <summary>The nodes of an autoencoder's training graph.</summary>
/// <param name="Input">What the encoder saw: the image, or its corruption for the denoising kind <c>[N, C, H, W]</c>.</param>
/// <param name="Code">The code <c>[N, code]</c>.</param>
/// <param name="Reconstruction">The reconstructed pixels in [0, 1] <c>[N, C, H, W]</c>.</param>
/// <param name="ReconstructionError">The squared error to the clean image, summed over pixels, per image (scalar).</param>
/// <param name="Penalty">The sparse or contractive penalty per image (scalar), null for the other kinds.</param>
/// <param name="Loss">The training loss: reconstruction error + weight x penalty (scalar).</param>
public sealed record AutoencoderGraph(Node Input, Node Code, Node Reconstruction, Node ReconstructionError, Node? Penalty, Node Loss);
