using Engine.Cli;

return EngineCli.Run(args, Console.Out, Console.Error);
