using Touchpoints.LocalHost.Commands;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
