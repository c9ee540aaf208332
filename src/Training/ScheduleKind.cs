namespace Engine.Training;

/// <summary>How a <see cref="Trainer"/> moves the learning rate from <see cref="TrainingOptions.LearningRate"/>.</summary>
public enum ScheduleKind
{
    /// <summary>Cosine annealing over every step of the run down to a hundredth of the rate (<c>CosineAnnealingLR</c>).</summary>
    Cosine,

    /// <summary>PyTorch's <c>OneCycleLR</c> over every step of the run, with the momentum (or Adam's β1) cycled.</summary>
    OneCycle,

    /// <summary>PyTorch's <c>ReduceLROnPlateau</c> on the test metric after every epoch.</summary>
    Plateau,

    /// <summary>The rate as given throughout.</summary>
    Constant,
}
