namespace Engine.Cli.Training;

/// <summary>One row of <see cref="OptionNames"/>: an option of the command line and the library's name for what it sets.</summary>
/// <param name="Library">A member of <see cref="Engine.Training.TrainingOptions"/> or <see cref="Engine.Models.ModelOptions"/>; for a setting the library has no option for, the <see cref="Engine.Training.ResumeRules"/> rule it belongs to (Data, Model, Task).</param>
/// <param name="Name">The option as typed (<c>--seed</c>).</param>
/// <param name="Value">Its value in <see cref="TrainSettings"/>, as compared (names in lower case, sides without spaces); null for an option <c>train</c> does not take.</param>
/// <param name="Take">A resume's settings with this option taken from the command line when given (options a resume may change).</param>
internal sealed record CommandLineOption(string Library, string Name, Func<TrainSettings, object?>? Value = null, Func<TrainSettings, TrainSettings, TrainSettings>? Take = null);
