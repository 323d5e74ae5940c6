from django.core.management.base import BaseCommand

from portail.demo.data import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Charge les données de démonstration (sans doublon si relancée) et affiche les identifiants."

    def handle(self, *args, **options):
        logins = load_demo()
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Données de démonstration prêtes. Identifiants de démonstration :"))
        for login in logins:
            out.write(f"  {login.role:<52} identifiant : {login.username:<18} mot de passe : {DEMO_PASSWORD}")
        out.write("  Site familles : /connexion/    Back office : /admin/")
        out.write("")
