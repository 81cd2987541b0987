"""Labels of the models' enums, marked for extraction (they are translated where shown).

The labels live in console/models as plain French; pybabel cannot see them there.
tests/test_languages.py checks that every enum of the console's core models is listed.
"""

from console.translations import N_

MODEL_LABELS = [
    # geography.MapVersion
    N_("Carte de 2015 (18 provinces)"),
    N_("Carte de 2025 (5 provinces)"),
    # cooperatives.SellerKind
    N_("Coopérative"),
    N_("Entrepreneur individuel"),
    # cooperatives.CooperativeCategory
    N_("Production (agriculture, élevage, transformation)"),
    N_("Commercialisation et consommation"),
    N_("Épargne et crédit"),
    N_("Services"),
    N_("Mines"),
    N_("Multifonctionnelle"),
    # cooperatives.CooperativeStatus
    N_("Active"),
    N_("Suspendue"),
    N_("Dissoute"),
    # inventory.DeviceKind
    N_("Tablette"),
    N_("Chargeur"),
    N_("Housse"),
    N_("Batterie externe"),
    N_("Kit solaire"),
    N_("Autre"),
    # inventory.DeviceStatus
    N_("En stock"),
    N_("Remis"),
    N_("En réparation"),
    N_("Perdu"),
    N_("Volé"),
    N_("Réformé"),
    # inventory.DeviceCondition
    N_("Neuf"),
    N_("Bon"),
    N_("Usé"),
    N_("Endommagé"),
    # inventory.IncidentKind
    N_("Perte"),
    N_("Vol"),
    N_("Dommage"),
    N_("Réparation effectuée"),
    # marketplace.BuyerKind
    N_("Particulier"),
    N_("Entreprise"),
    N_("Coopérative"),
    # marketplace.OrderStatus
    N_("Passée"),
    N_("Payée"),
    N_("Livrée"),
    N_("Annulée"),
    # marketplace.PaymentMethod
    N_("Espèces"),
    N_("Banque"),
    N_("Crédit"),
    N_("Autre (mobile money…)"),
    # pilot.EnrollmentStatus
    N_("Nominée"),
    N_("Sélectionnée"),
    N_("Formée"),
    N_("Équipée"),
    N_("Active"),
    N_("Retirée"),
    # pilot.Gender
    N_("Femme"),
    N_("Homme"),
    # reports.ReportStatus
    N_("En file d'attente"),
    N_("En cours"),
    N_("Terminé"),
    N_("Échec"),
    # tax.TaxKind
    N_("TVA"),
    N_("Retenue à la source"),
    N_("Autre taxe"),
    # tax.TaxBase
    N_("Ventes (montant hors taxe)"),
    N_("Dividendes versés aux membres"),
    # tax.SellerCondition
    N_("Tout vendeur"),
    N_("Vendeur assujetti à la TVA"),
    # imports.ImportOutcome
    N_("En file d'attente"),
    N_("En cours"),
    N_("Importé"),
    N_("Simulation (rien écrit)"),
    N_("Refusé : erreurs dans le fichier"),
    N_("Échec technique (rien écrit)"),
    # mevente.AlertKind
    N_("Taux d'écoulement prévu sous le seuil"),
    N_("Stock invendu prévu en hausse"),
    # mevente.AlertStatus
    N_("Ouverte"),
    N_("Prise en compte"),
    N_("Levée"),
    # mevente.SuggestionStatus
    N_("Proposée"),
    N_("Contactée"),
    N_("Conclue"),
    N_("Écartée"),
    # mevente.ForecastMetric
    N_("Taux d'écoulement"),
    N_("Stock invendu (valeur)"),
]
