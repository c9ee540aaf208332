namespace Engine.Inference;

/// <summary>What a request reads back from a run of the model.</summary>
internal enum PredictionKind
{
    /// <summary>The model's outputs as they are.</summary>
    Logits,

    /// <summary>Softmax over the class dimension (dim 1).</summary>
    Probabilities,

    /// <summary>The arg-max class of each image (or each pixel: a mask).</summary>
    Classes,
}
