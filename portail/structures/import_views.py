from django.http import HttpResponse
from django.views import View


class FamilyImportView(View):
    model_admin = None

    def get(self, request):
        return HttpResponse("TODO")
