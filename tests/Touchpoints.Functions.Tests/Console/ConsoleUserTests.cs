using Microsoft.AspNetCore.Http;
using Touchpoints.Functions.Console;

namespace Touchpoints.Functions.Tests.Console;

public sealed class ConsoleUserTests
{
    private static HttpRequest Request(string? principal = null, string? cookie = null)
    {
        var context = new DefaultHttpContext();
        if (principal is not null) context.Request.Headers[ConsoleUser.PrincipalHeader] = principal;
        if (cookie is not null) context.Request.Headers.Cookie = $"{ConsoleUser.DevelopmentCookie}={cookie}";
        return context.Request;
    }

    [Fact]
    public void The_highest_app_role_of_the_platforms_principal_decides_and_without_one_nobody_is_signed_in()
    {
        var trusted = new ConsoleOptions { TrustPlatformPrincipal = true };
        Assert.Equal(ConsoleRole.Admin, ConsoleUser.Of(Request(ConsoleUser.Principal("Ann", "agent", "Admin")), trusted)!.Role);
        Assert.Equal("Ann", ConsoleUser.Of(Request(ConsoleUser.Principal("Ann", "marketer")), trusted)!.Name);
        Assert.Null(ConsoleUser.Of(Request(ConsoleUser.Principal("Ann", "reader")), trusted));
        Assert.Null(ConsoleUser.Of(Request("not base64 at all"), trusted));
    }

    [Fact]
    public void A_principal_header_is_not_believed_where_the_platform_does_not_set_it_nor_a_development_cookie_where_that_sign_in_is_off()
    {
        var untrusted = new ConsoleOptions { TrustPlatformPrincipal = false };
        Assert.Null(ConsoleUser.Of(Request(ConsoleUser.Principal("Mallory", "admin")), untrusted));
        Assert.Null(ConsoleUser.Of(Request(cookie: "admin"), untrusted));
        var development = new ConsoleOptions { DevelopmentSignIn = true };
        Assert.Equal(ConsoleRole.Marketer, ConsoleUser.Of(Request(cookie: "marketer"), development)!.Role);
        Assert.True(ConsoleUser.Of(Request(cookie: "marketer"), development)!.Development);
        Assert.Null(ConsoleUser.Of(Request(cookie: "root"), development));
    }
}
