using Touchpoints.Functions;

await HandlerApp.Build(args).RunAsync();
