namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// host.json, a function.json or the settings describe something the Functions host would refuse (or the local host cannot
/// play): the message names every file and what is wrong with it.
/// </summary>
public sealed class AppDefinitionException : Exception
{
    public AppDefinitionException()
    {
    }

    public AppDefinitionException(string message) : base(message)
    {
    }

    public AppDefinitionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public AppDefinitionException(IReadOnlyList<string> problems)
        : base("The function app cannot start:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; } = [];
}
