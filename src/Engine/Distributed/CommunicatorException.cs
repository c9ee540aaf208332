namespace Engine.Distributed;

/// <summary>A collective that failed: a rank stopped, did not answer in time, or the transport reported an error.</summary>
public sealed class CommunicatorException(string message) : IOException(message);
