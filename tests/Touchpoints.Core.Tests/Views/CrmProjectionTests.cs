using Touchpoints.Core.Events;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class CrmProjectionTests
{
    [Fact]
    public void Owner_and_lead_status_take_the_latest_value()
    {
        var view = ApplyAll([
            Crm("c1", T0, CrmEventType.LeadStatusChanged) with { Status = "MQL", Owner = "maria" },
            Crm("c2", T0.AddDays(2), CrmEventType.LeadStatusChanged) with { Status = "SQL", Owner = "li" },
            Crm("c3", T0.AddDays(1), CrmEventType.LeadStatusChanged) with { Status = "Lead", Owner = "omar" }, // late
        ]);
        var sales = view.Touchpoints.Sales!;
        Assert.Equal(new Stamped<string>("li", T0.AddDays(2)), sales.Owner);
        Assert.Equal(new Stamped<string>("SQL", T0.AddDays(2)), sales.LeadStatus);
        Assert.Equal(3, sales.Activity.Count);
        Assert.Equal(LifecycleStage.SalesQualified, Lifecycle.Of(view));
    }

    [Fact]
    public void Opportunity_tracks_the_latest_stage_and_counts_wins()
    {
        var open = ApplyAll([Crm("c1", T0, CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-7", Stage = "Proposal", Amount = 12000m, Currency = "EUR" }]);
        Assert.Equal(new Opportunity("opp-7", "Proposal", 12000m, "EUR", true, T0), open.Touchpoints.Sales!.Opportunity);
        Assert.Equal(LifecycleStage.SalesQualified, Lifecycle.Of(open));

        var won = CustomerProjection.Apply(open, Crm("c2", T0.AddDays(3), CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-7", Stage = "Closed Won" });
        var sales = won.Touchpoints.Sales!;
        Assert.False(sales.Opportunity!.Open);
        Assert.Equal(12000m, sales.Opportunity.Value);
        Assert.Equal(1, sales.OpportunitiesWon);
        Assert.Equal(LifecycleStage.Customer, Lifecycle.Of(won));

        var lost = ApplyAll([Crm("c3", T0, CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-8", Stage = "closed_lost" }]);
        Assert.False(lost.Touchpoints.Sales!.Opportunity!.Open);
        Assert.Equal(0, lost.Touchpoints.Sales.OpportunitiesWon);
    }

    [Fact]
    public void A_late_stage_change_does_not_reopen_a_closed_opportunity()
    {
        var view = ApplyAll([
            Crm("c2", T0.AddDays(3), CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-7", Stage = "closedwon" },
            Crm("c1", T0, CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-7", Stage = "Proposal" },
        ]);
        Assert.False(view.Touchpoints.Sales!.Opportunity!.Open);
    }

    [Fact]
    public void Tickets_open_and_close()
    {
        var view = ApplyAll([
            Crm("c1", T0, CrmEventType.TicketOpened) with { ObjectId = "4411", Subject = "Parcel never arrived" },
            Crm("c2", T0.AddHours(1), CrmEventType.TicketOpened) with { ObjectId = "4412", Subject = "Wrong size" },
            Crm("c3", T0.AddHours(5), CrmEventType.TicketClosed) with { ObjectId = "4411", Cost = 12.5m },
        ]);
        var support = view.Touchpoints.Support!;
        Assert.Equal(["4412"], support.OpenTickets.Select(t => t.Id));
        Assert.Equal((2L, 1L), (support.TicketsOpened, support.TicketsClosed));
        Assert.Equal(12.5m, view.Touchpoints.Billing!.CostToServe);
        Assert.Equal(0, view.Touchpoints.Billing.Activity.Count);
    }

    [Fact]
    public void A_ticket_closed_before_its_opening_arrives_stays_closed()
    {
        var view = ApplyAll([
            Crm("c2", T0.AddHours(5), CrmEventType.TicketClosed) with { ObjectId = "4411" },
            Crm("c1", T0, CrmEventType.TicketOpened) with { ObjectId = "4411", Subject = "Parcel never arrived" },
        ]);
        var support = view.Touchpoints.Support!;
        Assert.Empty(support.OpenTickets);
        Assert.Equal((1L, 1L), (support.TicketsOpened, support.TicketsClosed));
        Assert.Equal(new Stamped<string>("Parcel never arrived", T0), support.LastTicketSubject);
    }

    [Fact]
    public void Billing_sums_revenue_refunds_invoices_and_cost_to_serve()
    {
        var view = ApplyAll([
            Crm("b1", T0, CrmEventType.OrderPlaced, "stripe") with { ObjectId = "ord-1", Amount = 100m, Currency = "EUR" },
            Crm("b2", T0.AddDays(1), CrmEventType.OrderPlaced, "stripe") with { ObjectId = "ord-2", Amount = 50m, Currency = "EUR", Cost = 7m },
            Crm("b3", T0.AddDays(2), CrmEventType.InvoicePaid, "stripe") with { ObjectId = "inv-1", Amount = 480m, Currency = "EUR" },
            Crm("b4", T0.AddDays(3), CrmEventType.RefundIssued, "stripe") with { ObjectId = "ref-1", Amount = 20m, Currency = "EUR" },
            Crm("b5", T0.AddDays(4), CrmEventType.CallLogged) with { Cost = 3m },
        ]);
        var b = view.Touchpoints.Billing!;
        Assert.Equal(2, b.Orders);
        Assert.Equal(1, b.InvoicesPaid);
        Assert.Equal(630m, b.Revenue);
        Assert.Equal((1L, 20m), (b.RefundCount, b.Refunds));
        Assert.Equal(10m, b.CostToServe);
        Assert.Equal("ord-2", b.LastOrder?.Id);
        Assert.Equal("EUR", b.Currency);
    }

    [Fact]
    public void Calls_meetings_and_letters_set_their_last_interaction()
    {
        var view = ApplyAll([
            Crm("c1", T0.AddDays(2), CrmEventType.CallLogged) with { Subject = "Renewal", Owner = "maria" },
            Crm("c2", T0, CrmEventType.CallLogged) with { Subject = "Intro" },  // late
            Crm("c3", T0, CrmEventType.MeetingLogged) with { Subject = "QBR" },
            Crm("c4", T0, CrmEventType.MailSent) with { Channel = "post", Subject = "Catalogue" },
            Crm("c5", T0.AddDays(1), CrmEventType.MailSent) with { Channel = "email", Subject = "Your quote" },
        ]);
        var t = view.Touchpoints;
        Assert.Equal(new LastInteraction(T0.AddDays(2), "Phone call about Renewal"), t.Phone!.Last);
        Assert.Equal(2, t.Phone.Activity.Count);
        Assert.Equal(new LastInteraction(T0, "Meeting about QBR"), t.InPerson!.Last);
        Assert.Equal(new LastInteraction(T0, "Letter sent about Catalogue"), t.Mail!.Last);
        Assert.Equal(new LastInteraction(T0.AddDays(1), "Email sent about Your quote"), t.Email!.Last);
        Assert.Equal(T0.AddDays(2), t.Sales!.LastContactAt);
        Assert.Equal("maria", t.Sales.Owner?.Value);
    }

    [Fact]
    public void Consent_later_change_wins_whatever_the_arrival_order()
    {
        var granted = Crm("c1", T0, CrmEventType.ConsentChanged) with { ConsentChannel = ConsentChannel.Sms, Consent = ConsentStatus.Granted };
        var denied = Crm("c2", T0.AddDays(1), CrmEventType.ConsentChanged) with { ConsentChannel = ConsentChannel.Sms, Consent = ConsentStatus.Denied };
        Assert.Equal(ConsentStatus.Denied, ApplyAll([granted, denied]).Consent.StatusOf(ConsentChannel.Sms));
        Assert.Equal(ConsentStatus.Denied, ApplyAll([denied, granted]).Consent.StatusOf(ConsentChannel.Sms));
        Assert.Equal(ConsentStatus.Unknown, ApplyAll([denied]).Consent.StatusOf(ConsentChannel.Email));
        Assert.Equal(new ConsentState(ConsentStatus.Denied, "hubspot", T0.AddDays(1)), ApplyAll([denied, granted]).Consent.Sms);
    }

    [Fact]
    public void Traits_later_value_wins_per_field()
    {
        var view = ApplyAll([
            Crm("c1", T0.AddDays(1), CrmEventType.ContactUpdated) with { Traits = new Traits { Name = "Ann Lee", Company = "Acme" } },
            Crm("c2", T0, CrmEventType.ContactUpdated) with { Traits = new Traits { Name = "A. Lee", Title = "CTO" } },
        ]);
        Assert.Equal(new Stamped<string>("Ann Lee", T0.AddDays(1)), view.Traits.Name);
        Assert.Equal(new Stamped<string>("Acme", T0.AddDays(1)), view.Traits.Company);
        Assert.Equal(new Stamped<string>("CTO", T0), view.Traits.Title);
    }
}
