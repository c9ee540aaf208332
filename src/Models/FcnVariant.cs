namespace Engine.Models;

/// <summary>Which of Long et al.'s skip architectures an <see cref="Fcn"/> is: the stride of its coarsest prediction.</summary>
public enum FcnVariant
{
    /// <summary>FCN-32s: the class scores of pool5's features upsampled 32x in one step.</summary>
    Fcn32s,
    /// <summary>FCN-16s: pool5's scores upsampled 2x and fused with pool4's, then upsampled 16x.</summary>
    Fcn16s,
    /// <summary>FCN-8s: FCN-16s's fusion upsampled 2x and fused with pool3's, then upsampled 8x.</summary>
    Fcn8s,
}
