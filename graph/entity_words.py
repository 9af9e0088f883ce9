"""The words behind each entity flag, per language (en, es, de, fr, it).

Why word classes and not phrases: a flag is a rule over classes ("a payment word near a
failure word"), written once in `entities.py`; a language is only its words for each
class. A new language is a column here, not a new set of sentences. Words are written
without accents and matched on accent-folded text, so "falló", "fallo" and "FALLO" are
one word; German compounds ("Kartenzahlung") match because German nouns may sit inside
a word (`\\w*`).
"""

from __future__ import annotations

from collections.abc import Mapping

#: concept -> language -> regex alternatives (lower case, accents stripped).
WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # Something the customer pays with or a payment itself.
    "payment": {
        "en": (r"payments?", r"card", r"transactions?", r"checkout", r"purchases?"),
        "es": (
            r"pagos?",
            r"tarjetas?",
            r"transacci(?:on|ones)",
            r"compras?",
            r"cobros?",
            r"transferencias?",
        ),
        "de": (
            r"\w*zahlung\w*",
            r"\w*karte\w*",
            r"transaktion\w*",
            r"\w*abbuchung\w*",
            r"\w*uberweisung\w*",
        ),
        "fr": (
            r"paiements?",
            r"cartes?",
            r"transactions?",
            r"reglements?",
            r"achats?",
            r"virements?",
        ),
        "it": (
            r"pagament[oi]",
            r"carta",
            r"carte",
            r"transazion[ei]",
            r"acquist[oi]",
            r"bonific[oi]",
        ),
    },
    # The payment did not work.
    "failure": {
        "en": (
            r"fail\w*",
            r"declin\w*",
            r"reject\w*",
            r"didn'?t go through",
            r"did not go through",
            r"bounced",
        ),
        "es": (
            r"fall\w*",
            r"rechaz\w*",
            r"denegad[oa]s?",
            r"no (?:se )?(?:complet|proces|realiz|pas)\w*",
            r"no funcion\w*",
            r"error\w*",
        ),
        "de": (
            r"fehlgeschlagen",
            r"gescheitert",
            r"scheitert\w*",
            r"abgelehnt",
            r"nicht (?:durchgegangen|geklappt|funktioniert|moglich)",
            r"abgebrochen",
            r"fehler\w*",
        ),
        "fr": (
            r"echou\w*",
            r"echec",
            r"refus\w*",
            r"rejet\w*",
            r"(?:n'est |n'a )?pas (?:passe|abouti|fonctionne)\w*",
            r"erreur",
        ),
        "it": (
            r"fallit[oa]",
            r"rifiutat[oa]",
            r"respint[oa]",
            r"non (?:e )?(?:andat[oa]|riuscit[oa]|passat[oa])",
            r"errore",
            r"non funziona\w*",
        ),
    },
    # Money was taken from the customer.
    "charged": {
        "en": (
            r"charged",
            r"billed",
            r"debited",
            r"taken",
            r"took",
            r"deducted",
            r"withdrawn",
            r"processed",
            r"(?:went|gone|come|came) (?:through|out)",
            r"hit",
            r"paid",
            r"paying",
        ),
        "es": (r"cobr\w*", r"cargad[oa]s?", r"cargaron", r"descont\w*", r"debitad[oa]s?"),
        "de": (
            r"abgebucht",
            r"belastet",
            r"berechnet",
            r"abgezogen",
            r"eingezogen",
            r"kassiert",
            r"bezahlt",
        ),
        "fr": (r"preleve\w*", r"debite\w*", r"facture\w*", r"encaisse\w*", r"paye"),
        "it": (r"addebitat\w*", r"prelevat\w*", r"scalat\w*", r"fatturat\w*", r"pagat[oi]"),
    },
    # More than once.
    "again": {
        "en": (
            r"twice",
            r"(?:two|2|three|3|several|multiple) times",
            r"2x",
            r"x2",
            r"double",
            r"again",
            r"a second time",
            r"more than once",
        ),
        "es": (r"dos veces", r"doble", r"duplicad[oa]s?", r"otra vez", r"de nuevo"),
        "de": (r"zweimal", r"zwei ?mal", r"doppelt\w*", r"erneut", r"nochmal"),
        "fr": (r"deux fois", r"double", r"en double", r"a nouveau", r"de nouveau"),
        "it": (r"due volte", r"doppi[oa]", r"di nuovo", r"nuovamente"),
    },
    # A second charge named as one thing ("duplicate charge", "doppio addebito").
    "duplicate": {
        "en": (
            r"(?:double|duplicate|duplicated|second|repeated|identical)[\s-]+"
            r"(?:charge|payment|billing|bill|transaction|debit)s?",
        ),
        "es": (r"(?:cargo|cobro|pago)s? (?:duplicad|doble)\w*", r"doble (?:cargo|cobro)\w*"),
        "de": (r"doppel\w*(?:buchung|abbuchung|belastung|zahlung)\w*", r"doppelt\w* abgebucht"),
        "fr": (
            r"double (?:prelevement|debit|paiement|facturation)s?",
            r"(?:prelevement|debit)s? en double",
        ),
        "it": (r"doppi[oa] (?:addebit|pagament|prelievo)\w*", r"addebit\w* doppi\w*"),
    },
    # One charge, counted ("two identical payments": `several` then `charge_item`).
    "charge_item": {
        "en": (r"charges?", r"payments?", r"transactions?", r"debits?", r"deductions?"),
        "es": (r"cargos?", r"cobros?", r"pagos?", r"transacci(?:on|ones)", r"adeudos?"),
        "de": (r"\w*abbuchung\w*", r"\w*belastung\w*", r"\w*zahlungen", r"\w*buchungen"),
        "fr": (r"prelevements?", r"debits?", r"paiements?", r"transactions?"),
        "it": (r"addebit[oi]", r"pagamenti", r"prelievi", r"transazioni"),
    },
    # More than one.
    "several": {
        "en": (r"two", r"2", r"three", r"3", r"multiple", r"several"),
        "es": (r"dos", r"tres", r"varios", r"multiples"),
        "de": (r"zwei", r"drei", r"mehrere"),
        "fr": (r"deux", r"trois", r"plusieurs"),
        "it": (r"due", r"tre", r"diversi", r"vari"),
    },
    # "...and yet": a charge despite the failure.
    "anyway": {
        "en": (r"still", r"anyway", r"nevertheless"),
        "es": (r"aun asi", r"igual(?:mente)?", r"de todos modos", r"sin embargo"),
        "de": (r"trotzdem", r"dennoch", r"gleichwohl"),
        "fr": (r"quand meme", r"pourtant", r"tout de meme", r"malgre (?:tout|cela|ca)"),
        "it": (r"comunque", r"lo stesso", r"eppure", r"ugualmente"),
    },
    # The money is gone ("money was taken").
    "money_taken": {
        "en": (r"money (?:was|got) taken",),
        "es": (r"(?:me )?(?:quitaron|sacaron|descontaron) (?:el|mi) dinero",),
        "de": (r"geld (?:ist |wurde )?(?:trotzdem )?(?:weg|abgebucht|abgezogen)",),
        "fr": (r"argent (?:a ete )?(?:quand meme )?(?:debite|preleve|pris)",),
        "it": (r"soldi (?:sono stati )?(?:prelevati|presi|scalati|addebitati)",),
    },
    "urgent": {
        "en": (
            r"today",
            r"now",
            r"asap",
            r"urgent\w*",
            r"immediately",
            r"right away",
            r"emergency",
            r"as soon as possible",
        ),
        "es": (
            r"hoy",
            r"urgente\w*",
            r"urgencia",
            r"inmediat\w*",
            r"cuanto antes",
            r"lo antes posible",
            r"ahora mismo",
            r"enseguida",
        ),
        "de": (
            r"heute",
            r"sofort\w*",
            r"dringend\w*",
            r"eilig\w*",
            r"umgehend\w*",
            r"schnellstmoglich",
            r"so schnell wie moglich",
            r"notfall",
        ),
        "fr": (
            r"aujourd'hui",
            r"urgent\w*",
            r"urgence",
            r"immediatement",
            r"tout de suite",
            r"des que possible",
            r"au plus vite",
        ),
        "it": (
            r"oggi",
            r"urgente\w*",
            r"urgenza",
            r"subito",
            r"immediatamente",
            r"al piu presto",
            r"il prima possibile",
        ),
    },
    "refund": {
        "en": (r"refund\w*", r"money back", r"reimburse\w*"),
        "es": (r"reembols\w*", r"dinero de vuelta", r"devuelv\w* (?:el|mi) dinero", r"reintegr\w*"),
        "de": (r"\w*erstatt\w*", r"geld zuruck", r"ruckzahlung\w*"),
        "fr": (r"rembours\w*", r"recuperer mon argent", r"rendre (?:mon|l')argent"),
        "it": (r"rimbors\w*", r"rivoglio i (?:miei )?soldi", r"restituir\w* i (?:miei )?soldi"),
    },
    # Asking to be put through ...
    "talk": {
        "en": (r"talk", r"speak", r"chat", r"connect", r"transfer", r"put"),
        "es": (r"hablar", r"comunic\w*", r"pas(?:a|e|ar)(?:me)?", r"transfi\w*", r"poner\w*"),
        "de": (
            r"sprechen",
            r"reden",
            r"verbinden",
            r"weiterleiten",
            r"leiten",
            r"durchstellen",
            r"stellen",
        ),
        "fr": (
            r"parler",
            r"passe[rz]?",
            r"mettre en relation",
            r"mettez",
            r"transfer\w*",
            r"discuter",
        ),
        "it": (r"parlare", r"pass\w*", r"mett\w* in contatto", r"trasferi\w*", r"chattare"),
    },
    # ... to a person.
    "person": {
        "en": (r"human", r"person", r"agent", r"someone", r"representative", r"staff", r"operator"),
        "es": (
            r"persona",
            r"humano",
            r"agente",
            r"alguien",
            r"representante",
            r"operador\w*",
            r"empleado",
            r"asesor\w*",
        ),
        "de": (
            r"mensch\w*",
            r"person",
            r"mitarbeiter\w*",
            r"jemand\w*",
            r"berater\w*",
            r"agent\w*",
            r"kundendienst",
            r"kundenservice",
        ),
        "fr": (
            r"personne",
            r"humain",
            r"conseiller\w*",
            r"agent",
            r"quelqu'un",
            r"operat\w*",
            r"employe",
        ),
        "it": (
            r"persona",
            r"umano",
            r"operatore",
            r"qualcuno",
            r"consulente",
            r"agente",
            r"dipendente",
        ),
    },
    # A person, named outright ("real person").
    "real_person": {
        "en": (r"real (?:person|human)",),
        "es": (r"persona real", r"(?:un )?humano de verdad", r"persona de verdad"),
        "de": (r"echte[nmr]? (?:mensch|person)\w*",),
        "fr": (r"vraie personne", r"vrai humain", r"(?:etre|personne) humaine?"),
        "it": (r"persona vera", r"persona reale", r"essere umano"),
    },
    "injection": {
        "en": (
            r"ignore (?:all |any |the )?(?:previous|above|prior) (?:instructions|prompts?)",
            r"system prompt",
            r"you are now",
            r"developer mode",
            r"jailbreak",
        ),
        "es": (r"ignora (?:todas )?las instrucciones (?:anteriores|previas)",),
        "de": (r"ignorier\w* (?:alle )?(?:vorherigen|bisherigen) anweisungen",),
        "fr": (r"ignore[rz]? (?:toutes )?les instructions (?:precedentes|anterieures)",),
        "it": (r"ignora (?:tutte )?le istruzioni (?:precedenti|di prima)",),
    },
    # Words that name an order before its number.
    "order": {
        "en": (r"order", r"ord\.?"),
        "es": (r"pedido", r"orden", r"compra"),
        "de": (r"bestell\w*", r"auftrag\w*"),
        "fr": (r"commande",),
        "it": (r"ordine", r"ordinazione"),
    },
    # "is" between an order's name and its number ("my order number is 1042").
    "is": {
        "en": (r"is", r"was"),
        "es": (r"es", r"era"),
        "de": (r"ist", r"lautet", r"war"),
        "fr": (r"est", r"etait"),
        "it": (r"e", r"era"),
    },
    # "number" between the order word and its digits.
    "number": {
        "en": (r"number", r"no\.?", r"nr\.?"),
        "es": (r"numero", r"n[o.°º]\.?", r"num\.?"),
        "de": (r"nummer", r"nr\.?"),
        "fr": (r"numero", r"n[o.°º]\.?", r"num\.?"),
        "it": (r"numero", r"n\.?", r"nr\.?"),
    },
    "currency": {
        "en": (r"eur", r"euros?", r"usd", r"dollars?", r"gbp", r"pounds?"),
        "es": (r"euros?", r"dolares", r"pesos"),
        "de": (r"euro", r"chf", r"franken"),
        "fr": (r"euros?", r"francs?", r"chf"),
        "it": (r"euro", r"franchi"),
    },
    "relative_day": {
        "en": (r"today", r"yesterday", r"tomorrow", r"last (?:week|month|night)"),
        "es": (
            r"hoy",
            r"ayer",
            r"manana",
            r"anoche",
            r"(?:la )?semana pasada",
            r"(?:el )?mes pasado",
        ),
        "de": (r"heute", r"gestern", r"morgen", r"letzte[nr]? (?:woche|monat|nacht)"),
        "fr": (
            r"aujourd'hui",
            r"hier",
            r"demain",
            r"(?:la )?semaine derniere",
            r"(?:le )?mois dernier",
        ),
        "it": (r"oggi", r"ieri", r"domani", r"(?:la )?settimana scorsa", r"(?:il )?mese scorso"),
    },
    "weekday": {
        "en": (r"(?:mon|tues|wednes|thurs|fri|satur|sun)day",),
        "es": (r"lunes", r"martes", r"miercoles", r"jueves", r"viernes", r"sabado", r"domingo"),
        "de": (
            r"montag",
            r"dienstag",
            r"mittwoch",
            r"donnerstag",
            r"freitag",
            r"samstag",
            r"sonntag",
        ),
        "fr": (r"lundi", r"mardi", r"mercredi", r"jeudi", r"vendredi", r"samedi", r"dimanche"),
        "it": (r"lunedi", r"martedi", r"mercoledi", r"giovedi", r"venerdi", r"sabato", r"domenica"),
    },
}

LANGUAGES = ("en", "es", "de", "fr", "it")


def alternatives(concept: str) -> str:
    """One regex group matching the concept's words in every language, longest first so
    that "de nuevo" wins over a shorter word it contains."""
    words = {word for language in WORDS[concept].values() for word in language}
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"
