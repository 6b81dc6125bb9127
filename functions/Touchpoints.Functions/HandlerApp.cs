using Microsoft.Extensions.DependencyInjection.Extensions;
using Touchpoints.Functions.Collector;
using Touchpoints.Functions.Console;
using Touchpoints.Functions.Delivery;
using Touchpoints.Functions.Storage;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Ingestion;
using Touchpoints.Functions.Privacy;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Views;
using Touchpoints.Functions.Webhooks;

namespace Touchpoints.Functions;

/// <summary>The custom handler: an HTTP app the Functions host starts and invokes at <c>POST /{FunctionName}</c>.</summary>
public static class HandlerApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.ListenWhereTheHostSays();
        // ASP.NET Core logs every request line at Information, query string included: function keys (?code=) and
        // identifiers (?identity=email:…) would land in the logs. The host logs invocations already; the handler keeps
        // only warnings of the framework. Set Logging__LogLevel__Microsoft.AspNetCore to override while debugging.
        configure?.Invoke(builder);
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null) builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HostJsonContext.Default));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<IdentityOptions>().Bind(builder.Configuration.GetSection(IdentityOptions.Section))
            .Validate(IdentityOptions.IsValid, "Identity:DefaultPhoneRegion must be a region code such as GB, US or DE.").ValidateOnStart();
        builder.Services.AddTelemetry(builder.Configuration);
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddIngestion(builder.Configuration);
        builder.Services.AddCollector(builder.Configuration);
        builder.Services.AddWebhooks(builder.Configuration);
        builder.Services.AddRules(builder.Configuration);
        builder.Services.AddDelivery(builder.Configuration);
        builder.Services.AddHistory();
        builder.Services.AddPrivacy(builder.Configuration);
        builder.Services.AddConsole(builder.Configuration);

        // gzip, deflate and br request bodies (the SDKs that compress by default), decompressed before any endpoint reads them.
        builder.Services.AddRequestDecompression();

        var app = builder.Build();
        app.UseRequestDecompression();
        // The host's readiness probe: any answer means "started".
        app.MapGet("/", () => Results.Text("Touchpoints custom handler"));
        app.MapIngestion();
        app.MapRepair();
        app.MapCollector();
        app.MapWebhooks();
        app.MapViews();
        app.MapRules();
        app.MapDelivery();
        app.MapHistory();
        app.MapPrivacy();
        app.MapConsole();
        return app;
    }
}
